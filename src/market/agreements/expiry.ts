import type { Core, Lifecycle } from '../../kernel/core';
import { Periodic } from '../../kernel/loops';
import { AGREEMENT_SWEEP_BATCH, AGREEMENT_SWEEP_INTERVAL_MS } from '../limits';

/** What the sweeper needs of the agreement service: apply a due expiry; false when the agreement is gone. */
export interface ExpiryTarget {
  expireIfDue(hex: string): Promise<boolean>;
}

/**
 * Expires handshakes at their validTo without a request touching them, so a waiting waitForApproval answers 410
 * within a fraction of a second. Every instance runs one: the expiry itself is the check-and-set in transition.lua,
 * so concurrent sweepers are harmless.
 */
export class AgreementExpirySweeper implements Lifecycle {
  private readonly loop: Periodic;

  constructor(
    private readonly core: Core,
    private readonly agreements: ExpiryTarget,
  ) {
    this.loop = new Periodic('agreement-expiry', AGREEMENT_SWEEP_INTERVAL_MS, () => this.sweep(), core.log);
  }

  async start(): Promise<void> {
    this.loop.start();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }

  /** One pass over the handshakes whose validTo has passed. */
  async sweep(): Promise<void> {
    const key = this.core.keys.expiringAgreements();
    const due = await this.core.redis.zrangebyscore(key, '-inf', Date.now(), 'LIMIT', 0, AGREEMENT_SWEEP_BATCH);
    for (const id of due) {
      // A purged agreement leaves nothing to expire; drop its entry.
      if (!(await this.agreements.expireIfDue(id))) await this.core.redis.zrem(key, id);
    }
  }
}
