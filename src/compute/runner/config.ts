import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Wallet } from 'ethers';
import { ConfigError, Env, readInt, readNumber, readSize } from '../../kernel/config';

export type SandboxKind = 'bwrap' | 'none';

/** The runner's configuration (env vars `BOURSE_RUNNER_*`, `BOURSE_SANDBOX`), validated once at start. */
export interface RunnerConfig {
  runnerId: string;
  /** Base URLs of the Bourse API (BOURSE_API_URL, comma-separated): the runner fails over across them in order. */
  apiUrls: string[];
  /** The provider identity this runner serves (its offers, agreements and job queue). */
  wallet: Wallet;
  /** Lower-case 0x address of `wallet`. */
  provider: string;
  /** Where the key came from, so the sandbox can hide the file from algorithms. */
  keyFile: string | undefined;
  cores: number;
  memoryBytes: number;
  diskBytes: number;
  /** Processes and threads one job may have at once; reaching it ends the job. */
  maxProcesses: number;
  /** Longest run a job may ask for (seconds). */
  maxJobDurationSeconds: number;
  /** Golem linear pricing coefficients: [per second of duration, per cpu-second, fixed start price]. */
  priceCoeffs: [number, number, number];
  concurrency: number;
  sandbox: SandboxKind;
  runtimes: string[];
  commands: string[];
  /** Hosts inputs may be fetched from over http(s) ("*" = any); data: URLs are always allowed. */
  inputHosts: string[];
  maxInputBytes: number;
  inputTimeoutMs: number;
  maxResultBytes: number;
  maxLogBytes: number;
  /**
   * The lease of a claimed job: a runner that stops renewing it (every heartbeat) is detected, and its job resumed
   * or failed by the API, within this time; a runner that cannot renew it kills the run before it lapses.
   */
  stallIntervalMs: number;
  heartbeatMs: number;
  /** Time granted on top of the run for provisioning inputs and publishing results. */
  overheadMs: number;
  workDir: string;
}

function readList(env: Env, name: string, fallback: string[]): string[] {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

function readPrice(env: Env): [number, number, number] {
  const raw = env.BOURSE_RUNNER_PRICE;
  if (raw === undefined || raw.trim() === '') return [0, 0, 0];
  const parts = raw.split(',').map((s) => Number(s.trim()));
  if (parts.length !== 3 || parts.some((n) => !Number.isFinite(n) || n < 0)) {
    throw new ConfigError(
      'BOURSE_RUNNER_PRICE',
      `must be three non-negative numbers "perSecond,perCpuSecond,start", got "${raw}"`,
    );
  }
  return parts as [number, number, number];
}

function readKey(env: Env, dataDir: string, generateKey: boolean): { wallet: Wallet; keyFile: string | undefined } {
  const inline = env.BOURSE_RUNNER_PRIVATE_KEY;
  let keyFile = env.BOURSE_RUNNER_KEY_FILE || undefined;
  if (inline && keyFile)
    throw new ConfigError('BOURSE_RUNNER_PRIVATE_KEY', 'and BOURSE_RUNNER_KEY_FILE are both set: use one');
  let key = inline;
  if (!key) {
    if (!keyFile && generateKey) {
      keyFile = path.join(dataDir, 'runner-key');
      if (!fs.existsSync(keyFile)) {
        fs.mkdirSync(dataDir, { recursive: true });
        fs.writeFileSync(keyFile, Wallet.createRandom().privateKey, { mode: 0o600 });
      }
    }
    if (!keyFile)
      throw new ConfigError(
        'BOURSE_RUNNER_PRIVATE_KEY',
        'or BOURSE_RUNNER_KEY_FILE is required: the runner needs its provider identity',
      );
    try {
      key = fs.readFileSync(keyFile, 'utf8').trim();
    } catch (err) {
      throw new ConfigError('BOURSE_RUNNER_KEY_FILE', `cannot be read: ${(err as Error).message}`);
    }
  }
  try {
    return { wallet: new Wallet(key.startsWith('0x') ? key : `0x${key}`), keyFile: keyFile && path.resolve(keyFile) };
  } catch {
    throw new ConfigError(
      inline ? 'BOURSE_RUNNER_PRIVATE_KEY' : 'BOURSE_RUNNER_KEY_FILE',
      'must hold a 32-byte hex private key',
    );
  }
}

/** BOURSE_API_URL as a list of http(s) base URLs (default: the API of this host, for `bourse dev`). */
function readApiUrls(env: Env, fallback: string): string[] {
  const urls = readList(env, 'BOURSE_API_URL', [fallback]).map((u) => u.replace(/\/+$/, ''));
  for (const url of urls)
    if (!/^https?:\/\/[^\s/]+$/.test(url))
      throw new ConfigError('BOURSE_API_URL', `must be http(s) base URLs separated by commas, got "${url}"`);
  return urls;
}

export interface RunnerConfigOptions {
  dataDir: string;
  /** The API URL when BOURSE_API_URL is not set. */
  defaultApiUrl: string;
  /** `bourse dev` only: without a configured key, create one under the data dir. */
  generateKey?: boolean;
}

export function loadRunnerConfig(env: Env, options: RunnerConfigOptions): RunnerConfig {
  const { wallet, keyFile } = readKey(env, options.dataDir, options.generateKey ?? false);
  const sandbox = (env.BOURSE_SANDBOX || 'bwrap') as SandboxKind;
  if (sandbox !== 'bwrap' && sandbox !== 'none')
    throw new ConfigError('BOURSE_SANDBOX', `must be "bwrap" or "none" (local development only), got "${sandbox}"`);
  const runnerId = env.BOURSE_RUNNER_ID || `${os.hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  if (!/^[\w.-]{1,100}$/.test(runnerId))
    throw new ConfigError('BOURSE_RUNNER_ID', 'must be 1-100 letters, digits, ".", "_" or "-"');
  const stallIntervalMs = readInt(env, 'BOURSE_RUNNER_STALL_INTERVAL_MS', 30_000, 300, 3_600_000);
  const heartbeatMs = readInt(env, 'BOURSE_RUNNER_HEARTBEAT_MS', 5000, 100, 600_000);
  if (heartbeatMs * 2 > stallIntervalMs)
    throw new ConfigError(
      'BOURSE_RUNNER_HEARTBEAT_MS',
      `must be at most half of BOURSE_RUNNER_STALL_INTERVAL_MS (${stallIntervalMs}), so a lease is renewed in time`,
    );
  return {
    runnerId,
    apiUrls: readApiUrls(env, options.defaultApiUrl),
    wallet,
    provider: wallet.address.toLowerCase(),
    keyFile,
    cores: readInt(env, 'BOURSE_RUNNER_CORES', os.cpus().length, 1, 1024),
    memoryBytes: readSize(env, 'BOURSE_RUNNER_MEMORY', 1024 ** 3),
    diskBytes: readSize(env, 'BOURSE_RUNNER_DISK', 2 * 1024 ** 3),
    maxProcesses: readInt(env, 'BOURSE_RUNNER_MAX_PROCESSES', 256, 8, 65_536),
    maxJobDurationSeconds: readInt(env, 'BOURSE_RUNNER_MAX_DURATION', 600, 1, 7 * 24 * 3600),
    priceCoeffs: readPrice(env),
    concurrency: readInt(env, 'BOURSE_RUNNER_CONCURRENCY', 1, 1, 256),
    sandbox,
    runtimes: readList(env, 'BOURSE_RUNNER_RUNTIMES', ['node', 'sh', 'python3']),
    commands: readList(env, 'BOURSE_RUNNER_COMMANDS', ['node', 'sh', 'python3']),
    inputHosts: readList(env, 'BOURSE_RUNNER_INPUT_HOSTS', []).map((h) => h.toLowerCase()),
    maxInputBytes: readSize(env, 'BOURSE_RUNNER_MAX_INPUT_BYTES', 64 * 1024 ** 2),
    inputTimeoutMs: readInt(env, 'BOURSE_RUNNER_INPUT_TIMEOUT_MS', 30_000, 100, 3_600_000),
    maxResultBytes: readSize(env, 'BOURSE_RUNNER_MAX_RESULT_BYTES', 16 * 1024 ** 2),
    maxLogBytes: readSize(env, 'BOURSE_RUNNER_MAX_LOG_BYTES', 1024 ** 2),
    stallIntervalMs,
    heartbeatMs,
    overheadMs: readNumber(env, 'BOURSE_RUNNER_OVERHEAD_MS', 60_000, 1000, 3_600_000),
    workDir: path.resolve(env.BOURSE_RUNNER_WORK_DIR || path.join(options.dataDir, 'jobs')),
  };
}
