#!/usr/bin/env node
import { Command } from 'commander';
import {
  createAppKey,
  dropAppKey,
  generateKey,
  listAppKeys,
  mintToken,
  readKeyFile,
  walletFromKey,
} from './auth/client';
import { ConfigError, loadConfig } from './kernel/config';
import { createLogger } from './kernel/logger';

/**
 * `bourse`: one CLI, three roles plus operator helpers. Each role's code is imported only when that role runs, so
 * `bourse keygen` or `bourse api` never load what only a runner needs.
 */
const program = new Command()
  .name('bourse')
  .description('Bourse compute marketplace: Golem Market API + Ocean compute endpoints on Redis');

type Role = (config: ReturnType<typeof loadConfig>, log: ReturnType<typeof createLogger>) => Promise<void>;

function startRole(load: () => Promise<Role>) {
  return async (): Promise<void> => {
    let config;
    try {
      config = loadConfig();
    } catch (err) {
      if (err instanceof ConfigError) {
        process.stderr.write(`${err.message}\n`);
        process.exit(2);
      }
      throw err;
    }
    const log = createLogger(config.logLevel);
    try {
      await (
        await load()
      )(config, log);
    } catch (err) {
      log.fatal({ err }, (err as Error).message);
      process.stderr.write(`${(err as Error).message}\n`);
      process.exit(1);
    }
  };
}

program
  .command('api')
  .description('serve the HTTP API (needs REDIS_URL and BOURSE_AUTH_SECRET)')
  .action(startRole(async () => (await import('./main/api')).runApi));
program
  .command('runner')
  .description('run compute jobs of approved agreements (needs REDIS_URL)')
  .action(startRole(async () => (await import('./main/runner')).runRunner));
program
  .command('dev')
  .description('api + runner in one process; starts an embedded redis-server when REDIS_URL is not set')
  .action(startRole(async () => (await import('./main/dev')).runDev));

program
  .command('verify-proof <file>')
  .description('check a saved delivery proof (GET /api/invoke/v1/proof) offline: print its signer and fields')
  .action(async (file: string) => {
    const { verifyProofFile } = await import('./invoke/verifyProofCli');
    if (!verifyProofFile(file)) process.exit(1);
  });

program
  .command('keygen')
  .description('print a fresh private key and its address (as environment assignments)')
  .action(() => {
    const { address, privateKey } = generateKey();
    process.stdout.write(`BOURSE_PRIVATE_KEY=${privateKey}\nBOURSE_ADDRESS=${address}\n`);
  });
program
  .command('token')
  .description('mint an auth token from a running API for the key in BOURSE_PRIVATE_KEY (or --key-file) and print it')
  .option('--url <url>', 'base URL of the API', 'http://127.0.0.1:7465')
  .option('--key-file <file>', 'file holding the private key (instead of BOURSE_PRIVATE_KEY)')
  .option('--expires-in <seconds>', 'token lifetime in seconds', '86400')
  .action(async (options: { url: string; keyFile?: string; expiresIn: string }) => {
    const key = signingKey(options);
    const expiresInSeconds = Number(options.expiresIn);
    if (!Number.isSafeInteger(expiresInSeconds) || expiresInSeconds < 1) {
      process.stderr.write('--expires-in must be a whole number of seconds\n');
      process.exit(2);
    }
    const token = await mintToken({ url: options.url, wallet: walletFromKey(key), expiresInSeconds });
    process.stdout.write(`${token}\n`);
  });

/** The key in --key-file or BOURSE_PRIVATE_KEY; exits with a hint when there is none. */
function signingKey(options: { keyFile?: string }): string {
  const key = options.keyFile !== undefined ? readKeyFile(options.keyFile) : process.env.BOURSE_PRIVATE_KEY;
  if (!key) {
    process.stderr.write('No key: set BOURSE_PRIVATE_KEY or pass --key-file (create one with `bourse keygen`)\n');
    process.exit(2);
  }
  return key;
}

type ApiOptions = { url: string; keyFile?: string };
const apiCall = (options: ApiOptions) => ({ url: options.url, wallet: walletFromKey(signingKey(options)) });
const withApiOptions = (command: Command): Command =>
  command
    .option('--url <url>', 'base URL of the API', 'http://127.0.0.1:7465')
    .option('--key-file <file>', 'file holding the private key (instead of BOURSE_PRIVATE_KEY)');

const appKey = program
  .command('app-key')
  .description('long-lived, revocable keys for golem-js and yagna clients (app keys never expire)');
withApiOptions(appKey.command('create <name>'))
  .description('create an app key for the key in BOURSE_PRIVATE_KEY (or --key-file) and print it')
  .action(async (name: string, options: ApiOptions) => {
    process.stdout.write(`${(await createAppKey(apiCall(options), name)).key}\n`);
  });
withApiOptions(appKey.command('list'))
  .description('list the app keys of the key in BOURSE_PRIVATE_KEY (or --key-file): name, key, created')
  .action(async (options: ApiOptions) => {
    for (const k of await listAppKeys(apiCall(options))) process.stdout.write(`${k.name}\t${k.key}\t${k.created}\n`);
  });
withApiOptions(appKey.command('drop <nameOrKey>'))
  .description('drop an app key by name or by key; it stops working at once')
  .action(async (nameOrKey: string, options: ApiOptions) => {
    await dropAppKey(apiCall(options), nameOrKey);
  });

program.parseAsync(process.argv).catch((err: Error) => {
  process.stderr.write(`${err.message}\n`);
  process.exit(1);
});
