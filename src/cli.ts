#!/usr/bin/env node
import { Command } from 'commander';
import { ConfigError, loadConfig } from './config';
import { createLogger } from './logger';
import { runApi, runDev, runRunner } from './roles';

/** `bourse`: one CLI, three roles (DESIGN §1) plus operator helpers. */
const program = new Command()
  .name('bourse')
  .description('Bourse compute marketplace: Golem Market API + Ocean compute endpoints on Redis');

function startRole(role: (config: ReturnType<typeof loadConfig>, log: ReturnType<typeof createLogger>) => Promise<void>) {
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
      await role(config, log);
    } catch (err) {
      log.fatal({ err }, (err as Error).message);
      process.stderr.write(`${(err as Error).message}\n`);
      process.exit(1);
    }
  };
}

program.command('api').description('serve the HTTP API (needs REDIS_URL and BOURSE_AUTH_SECRET)').action(startRole(runApi));
program.command('runner').description('run compute jobs of approved agreements (needs REDIS_URL)').action(startRole(runRunner));
program
  .command('dev')
  .description('api + runner in one process; starts an embedded redis-server when REDIS_URL is not set')
  .action(startRole(runDev));

program.parseAsync(process.argv).catch((err: Error) => {
  process.stderr.write(`${err.message}\n`);
  process.exit(1);
});
