/**
 * Configuration comes from environment variables only, parsed and validated once at start.
 * A bad value throws ConfigError naming the variable; the CLI prints it and exits non-zero.
 */
export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    problem: string,
  ) {
    super(`Invalid configuration: ${variable} ${problem}`);
  }
}

export interface Config {
  host: string;
  port: number;
  /** Unset means: `dev` starts an embedded redis-server; `api`/`runner` refuse to start. */
  redisUrl: string | undefined;
  keyPrefix: string;
  logLevel: string;
  /** HS256 secret for auth tokens, shared by every API instance. */
  authSecret: string | undefined;
  /** Upper bound (seconds) for every long-poll `timeout` parameter. */
  maxLongPollSeconds: number;
  bodyLimitBytes: number;
  /** Lifetime of demand and offer subscriptions (yagna default: 1 h). */
  subscriptionTtlSeconds: number;
  /** Longest lifetime an auth token may be given. */
  tokenMaxLifetimeSeconds: number;
  dataDir: string;
  /** How long SIGTERM waits for open requests before exiting anyway. */
  shutdownGraceMs: number;
  /** How long agreements (after validTo) and agreement events are kept (yagna: 90 days). */
  agreementRetentionSeconds: number;
  /**
   * Base URL of the API a runner publishes its offer and negotiates through (BOURSE_API_URL; default: this host and
   * port).
   */
  apiUrl: string;
  /**
   * How often each API instance's compute watchdog fails jobs past their agreement's validity or deadline and
   * releases claims whose lease lapsed.
   */
  jobWatchdogMs: number;
  /** Whether invocation webhooks may target loopback, link-local or private addresses (BOURSE_WEBHOOK_ALLOW_PRIVATE) */
  webhookAllowPrivate: boolean;
  /** First retry delay of a failed webhook delivery (doubles per attempt), and the delivery loop's interval. */
  webhookRetryMs: number;
  /**
   * Lease of a negotiation event delivery whose response never went out (the market's default when unset; tests
   * shorten it).
   */
  negotiationLeaseMs?: number;
  /** Most bytes of result files (log included) one job may store (BOURSE_MAX_RESULT_BYTES). */
  maxResultBytes: number;
  /** How often each API instance renews its share of the matching (BOURSE_MATCHER_HEARTBEAT_MS). */
  matcherHeartbeatMs: number;
  /** Heartbeats an instance may miss before the others take its share over (BOURSE_MATCHER_MISSED_BEATS). */
  matcherMissedBeats: number;
}

export type Env = Record<string, string | undefined>;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export function readInt(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw.trim())) throw new ConfigError(name, `must be a whole number, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(name, `must be between ${min} and ${max}, got ${value}`);
  return value;
}

export function readNumber(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value)) throw new ConfigError(name, `must be a number, got "${raw}"`);
  if (value < min || value > max) throw new ConfigError(name, `must be between ${min} and ${max}, got ${value}`);
  return value;
}

const SIZE_UNITS: Record<string, number> = { '': 1, b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 };

export function readSize(env: Env, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const m = /^(\d+)\s*(b|kb|mb|gb)?$/i.exec(raw.trim());
  if (!m) throw new ConfigError(name, `must be a size such as 2mb or 65536, got "${raw}"`);
  const bytes = Number(m[1]) * SIZE_UNITS[(m[2] ?? '').toLowerCase()];
  if (bytes < 1024) throw new ConfigError(name, `must be at least 1kb, got "${raw}"`);
  return bytes;
}

function readRedisUrl(env: Env): string | undefined {
  const raw = env.REDIS_URL;
  if (raw === undefined || raw === '') return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError('REDIS_URL', `must be a URL such as redis://127.0.0.1:6379, got "${raw}"`);
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw new ConfigError('REDIS_URL', `must start with redis:// or rediss://, got "${url.protocol}"`);
  }
  return raw;
}

function readApiUrl(env: Env): string {
  const raw = env.BOURSE_API_URL;
  if (raw === undefined || raw === '') {
    const host = !env.HOST || env.HOST === '0.0.0.0' || env.HOST === '::' ? '127.0.0.1' : env.HOST;
    return `http://${host.includes(':') ? `[${host}]` : host}:${env.PORT || 7465}`;
  }
  if (!/^https?:\/\/[^\s/]+/.test(raw))
    throw new ConfigError('BOURSE_API_URL', `must be an http(s) URL such as http://127.0.0.1:7465, got "${raw}"`);
  return raw;
}

export function loadConfig(env: Env = process.env): Config {
  const logLevel = (env.LOG_LEVEL ?? 'info').toLowerCase();
  if (!LOG_LEVELS.includes(logLevel))
    throw new ConfigError('LOG_LEVEL', `must be one of ${LOG_LEVELS.join(', ')}, got "${env.LOG_LEVEL}"`);
  const keyPrefix = env.BOURSE_KEY_PREFIX ?? 'bourse:';
  // Braces allowed: `{bourse}:` puts every key in one Redis Cluster hash slot, so multi-key scripts work there.
  if (!/^[\w:.{}-]{1,64}$/.test(keyPrefix))
    throw new ConfigError(
      'BOURSE_KEY_PREFIX',
      'must be 1-64 characters of letters, digits, ":", ".", "_", "-", "{" or "}"',
    );
  const authSecret = env.BOURSE_AUTH_SECRET || undefined;
  if (authSecret !== undefined && authSecret.length < 32)
    throw new ConfigError('BOURSE_AUTH_SECRET', 'must be at least 32 characters long');
  return {
    host: env.HOST || '127.0.0.1',
    port: readInt(env, 'PORT', 7465, 0, 65535),
    redisUrl: readRedisUrl(env),
    keyPrefix,
    logLevel,
    authSecret,
    maxLongPollSeconds: readNumber(env, 'BOURSE_MAX_LONG_POLL_SECONDS', 120, 1, 3600),
    bodyLimitBytes: readSize(env, 'BOURSE_BODY_LIMIT', 2 * 1024 * 1024),
    subscriptionTtlSeconds: readInt(env, 'BOURSE_SUBSCRIPTION_TTL_SECONDS', 3600, 1, 7 * 24 * 3600),
    tokenMaxLifetimeSeconds: readInt(env, 'BOURSE_TOKEN_MAX_LIFETIME_SECONDS', 30 * 24 * 3600, 60, 365 * 24 * 3600),
    dataDir: env.BOURSE_DATA_DIR || './data',
    shutdownGraceMs: readInt(env, 'BOURSE_SHUTDOWN_GRACE_MS', 5000, 0, 600000),
    agreementRetentionSeconds: readInt(
      env,
      'BOURSE_AGREEMENT_RETENTION_SECONDS',
      90 * 24 * 3600,
      60,
      10 * 365 * 24 * 3600,
    ),
    apiUrl: readApiUrl(env),
    jobWatchdogMs: readInt(env, 'BOURSE_JOB_WATCHDOG_MS', 1000, 100, 600_000),
    webhookAllowPrivate: env.BOURSE_WEBHOOK_ALLOW_PRIVATE === 'true',
    webhookRetryMs: readInt(env, 'BOURSE_WEBHOOK_RETRY_MS', 1000, 10, 600_000),
    negotiationLeaseMs: env.BOURSE_NEGOTIATION_LEASE_MS
      ? readInt(env, 'BOURSE_NEGOTIATION_LEASE_MS', 0, 100, 600_000)
      : undefined,
    maxResultBytes: readSize(env, 'BOURSE_MAX_RESULT_BYTES', 64 * 1024 ** 2),
    matcherHeartbeatMs: readInt(env, 'BOURSE_MATCHER_HEARTBEAT_MS', 1000, 20, 60_000),
    matcherMissedBeats: readInt(env, 'BOURSE_MATCHER_MISSED_BEATS', 5, 2, 100),
  };
}

/** The Redis URL a role needs; `bourse dev` is the only role that starts its own. */
export function requireRedisUrl(config: Config): string {
  if (!config.redisUrl)
    throw new ConfigError('REDIS_URL', 'is required for this role (or use `bourse dev`, which starts its own Redis)');
  return config.redisUrl;
}
