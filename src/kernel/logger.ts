import pino, { Logger } from 'pino';

/** JSON logs to stdout (pino); one logger per process, children per instance and per request. */
export function createLogger(level: string, base: Record<string, unknown> = {}): Logger {
  return pino({ level, base: { service: 'bourse', ...base }, timestamp: pino.stdTimeFunctions.isoTime });
}
