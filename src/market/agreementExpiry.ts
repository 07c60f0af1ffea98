import type { Core } from '../kernel/core';
import type { AgreementService } from './agreements';

const SWEEP_INTERVAL_MS = 250;
const SWEEP_BATCH = 200;

/**
 * Expires handshakes at their validTo without a request touching them, so a waiting waitForApproval
 * answers 410 within a fraction of a second. Every instance may run one: the expiry itself is the
 * check-and-set in agreement_transition.lua, so concurrent sweepers are harmless.
 */
export class AgreementExpirySweeper {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly core: Core,
    private readonly agreements: AgreementService,
  ) {}

  start(): void {
    this.timer = setInterval(() => {
      this.running ??= this.sweep()
        .catch((err: unknown) => this.core.log.debug({ err }, 'agreement expiry sweep failed; retrying'))
        .finally(() => {
          this.running = undefined;
        });
    }, SWEEP_INTERVAL_MS);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** One pass over the handshakes whose validTo has passed. */
  async sweep(): Promise<void> {
    const key = this.core.keys.expiringAgreements();
    const due = await this.core.redis.zrangebyscore(key, '-inf', Date.now(), 'LIMIT', 0, SWEEP_BATCH);
    for (const id of due) {
      // A purged agreement leaves nothing to expire; drop its entry.
      if (!(await this.agreements.expireIfDue(id))) await this.core.redis.zrem(key, id);
    }
  }
}
