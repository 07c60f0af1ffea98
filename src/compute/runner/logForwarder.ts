import type { Logger } from 'pino';

const LOG_FLUSH_MS = 250;

/**
 * Batches a run's output into the job's live log tail (one append every 250 ms at most), in order: each batch is
 * sent after the previous one. A failed append is logged, not retried (the full log is uploaded with the results).
 */
export class LogForwarder {
  private pending: Buffer[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly append: (chunk: Buffer) => Promise<void>,
    private readonly log: Logger,
    private readonly jobId: string,
  ) {}

  push(chunk: Buffer): void {
    this.pending.push(chunk);
    this.timer ??= setTimeout(() => void this.flush(), LOG_FLUSH_MS);
  }

  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const chunk = Buffer.concat(this.pending);
    this.pending = [];
    if (chunk.length > 0) {
      this.flushing = this.flushing
        .then(() => this.append(chunk))
        .then(
          () => undefined,
          (err: Error) => this.log.warn({ err: err.message, jobId: this.jobId }, 'live log append failed'),
        );
    }
    return this.flushing;
  }
}
