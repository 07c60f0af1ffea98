import { Readable } from 'node:stream';
import type { Core } from '../../kernel/core';

/**
 * Live log tail of a job (computeStreamableLogs). The runner appends to a capped string and counts every byte it
 * ever appended in the job's `logBytes`, so a follower that knows how much it has sent can tell which suffix of the
 * string is new (and skips what the cap already dropped). The stream ends when the job is terminal or gone, when
 * the client goes away, or after the long-poll cap.
 */
export class LogTail {
  constructor(private readonly core: Core) {}

  stream(jobId: string, signal?: AbortSignal): Readable {
    return Readable.from(this.follow(jobId, signal), { objectMode: false });
  }

  /** The log bytes after `sent`, the new total, and whether the job has ended (or disappeared). */
  private async readFrom(jobId: string, sent: number): Promise<{ chunk: Buffer; total: number; ended: boolean }> {
    const { keys, redis } = this.core;
    const [[, log], [, fields]] = (await redis
      .multi()
      .getBuffer(keys.jobLog(jobId))
      .hmget(keys.job(jobId), 'logBytes', 'dateFinished', 'jobId')
      .exec()) as [[null, Buffer | null], [null, Array<string | null>]];
    const [logBytes, dateFinished, id] = fields;
    const tail = log ?? Buffer.alloc(0);
    const total = Number(logBytes ?? tail.length) || tail.length;
    const tailStart = total - tail.length;
    const chunk = tail.subarray(Math.max(0, sent - tailStart));
    return { chunk, total, ended: id === null || (dateFinished !== null && dateFinished !== '') };
  }

  private async *follow(jobId: string, signal?: AbortSignal): AsyncGenerator<Buffer> {
    const deadline = Date.now() + this.core.config.maxLongPollSeconds * 1000;
    // A revoked token ends the tail as it ends a long-poll (the request's guard, see TokenService).
    const registration = await this.core.waiter.registerGuarded(
      [this.core.keys.jobLog(jobId), this.core.keys.job(jobId)],
      signal,
    );
    try {
      let sent = 0;
      for (;;) {
        const { chunk, total, ended } = await this.readFrom(jobId, sent);
        sent = total;
        if (chunk.length > 0) yield chunk;
        if (ended) return;
        if ((await registration.next(deadline - Date.now())) !== 'notified') return;
      }
    } finally {
      registration.release();
    }
  }
}
