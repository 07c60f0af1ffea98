import type { Logger } from 'pino';
import { sleep } from '../../kernel/loops';
import type { Pair, PairSource } from './shard';

/** What the writer does with a pair: create its Initial proposal (idempotently; negotiation owns proposals). */
export interface InitialProposals {
  createInitial(demandId: string, offerId: string): Promise<unknown>;
}

/** The first pairs of each subscription, written before any other subscription's remainder. */
const FIRST_CHUNK = 8;
/** Pairs written concurrently otherwise: small, so a first chunk never waits long behind one. */
const CHUNK = 32;
const RETRY_MS = 500;
/**
 * How long the remainders wait after the latest first chunk: the collect that chunk wakes needs a few Redis round
 * trips, which would otherwise each queue behind a chunk of remainder writes in Redis (measured: the first event then
 * came only when all of a demand's pairs were written).
 */
const REMAINDER_PAUSE_MS = 10;

interface Job {
  pairs: PairSource;
  done: () => void;
}

/**
 * Writes the matcher's Initial proposals, one chunk in flight at a time: the first few pairs of every new subscription
 * before the remainder of any other, so a demand's first events are visible after one chunk even while an earlier
 * demand's hundreds of matches are still being written. A failed chunk is retried (creation is idempotent) until it
 * succeeds or the writer stops; so a write resolves only once every pair of it exists.
 */
export class ProposalWriter {
  private readonly firstChunks: Job[] = [];
  private readonly remainders: Job[] = [];
  private pumping = false;
  private stopped = false;
  private failing = false;
  private lastFirstChunkAt = 0;
  /** Ends a remainder pause early when a first chunk arrives. */
  private firstChunkArrived: (() => void) | undefined;
  /** Pairs queued and not yet written (counted by candidates not yet evaluated: an upper bound). */
  backlog = 0;

  constructor(
    private readonly proposals: InitialProposals,
    private readonly log: Logger,
  ) {}

  /** Queues the pairs of one subscription; resolves when all are written (never, once stopped). */
  write(pairs: PairSource): Promise<void> {
    if (pairs.left === 0) return Promise.resolve();
    return new Promise((done) => {
      this.firstChunks.push({ pairs, done });
      this.backlog += pairs.left;
      this.firstChunkArrived?.();
      void this.pump();
    });
  }

  /** Abandons what is queued: the stream positions it belonged to are not reported as matched, so they are replayed. */
  stop(): void {
    this.stopped = true;
    this.firstChunks.length = 0;
    this.remainders.length = 0;
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      for (;;) {
        if (this.firstChunks.length === 0 && this.remainders.length > 0) await this.pauseAfterFirstChunk();
        const first = this.firstChunks.shift();
        const job = first ?? this.remainders.shift();
        if (!job || this.stopped) return;
        const evaluated = job.pairs.left;
        const slice = job.pairs.take(first ? FIRST_CHUNK : CHUNK);
        this.backlog -= evaluated - job.pairs.left;
        if (slice.length > 0) await this.create(slice);
        if (this.stopped) return;
        if (first && slice.length > 0) this.lastFirstChunkAt = Date.now();
        if (job.pairs.left === 0) job.done();
        else if (first) this.remainders.push(job);
        else this.remainders.unshift(job); // finish one remainder before starting the next
      }
    } finally {
      this.pumping = false;
    }
  }

  private async pauseAfterFirstChunk(): Promise<void> {
    const wait = this.lastFirstChunkAt + REMAINDER_PAUSE_MS - Date.now();
    if (wait <= 0) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, wait);
      this.firstChunkArrived = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    this.firstChunkArrived = undefined;
  }

  private async create(slice: Pair[]): Promise<void> {
    while (!this.stopped) {
      try {
        await Promise.all(slice.map(([demandId, offerId]) => this.proposals.createInitial(demandId, offerId)));
        if (this.failing) this.log.info('matcher: proposal writes recovered');
        this.failing = false;
        return;
      } catch (err) {
        if (!this.failing) this.log.warn({ err }, 'matcher: proposal writes failed; retrying');
        this.failing = true;
        await sleep(RETRY_MS);
      }
    }
  }
}
