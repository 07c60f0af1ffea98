import path from 'node:path';
import type { Core, Lifecycle } from '../../kernel/core';
import { defineScript, outcome } from '../../store/scripts';

const acknowledgeScript = defineScript({
  name: 'negotiation.acknowledge',
  file: path.join(__dirname, 'lua', 'acknowledge.lua'),
  keys: [],
  args: [],
  parse: (reply) => outcome(reply).code,
});

/**
 * How long a written delivery may wait for its acknowledgement: a quarter of the lease (which is ≥ 100 ms), so a
 * written delivery is never delivered again while this instance runs. Capped so that few deliveries are pending at a
 * stop; the longer the wait, the more subscriptions share one call (at 10 ms, nearly every call carried one).
 */
const MAX_ACK_DELAY_MS = 250;

/** The wait before gathered acknowledgements go out, for a negotiation lease of `leaseMs`. */
export function acknowledgementDelayMs(leaseMs: number): number {
  return Math.min(MAX_ACK_DELAY_MS, leaseMs / 4);
}

/**
 * Acknowledgements of negotiation deliveries whose responses were written out, sent without a round trip of their
 * own: the subscription's next collect on this instance carries them (clients collect again at once), and what is
 * left after a quarter of the lease (at most MAX_ACK_DELAY_MS) goes out in one call for all subscriptions. Until then
 * a delivery only stays recorded; a collect elsewhere skips it while its lease runs, so nothing is delivered twice.
 */
export class Acknowledgements implements Lifecycle {
  /** Subscription id → ids of its written deliveries not yet acknowledged. */
  private readonly pending = new Map<string, string[]>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();

  private readonly delayMs: number;

  constructor(
    private readonly core: Core,
    leaseMs: number,
  ) {
    this.delayMs = acknowledgementDelayMs(leaseMs);
  }

  add(subscriptionId: string, deliveryId: string): void {
    const ids = this.pending.get(subscriptionId);
    if (ids) ids.push(deliveryId);
    else this.pending.set(subscriptionId, [deliveryId]);
    this.timer ??= setTimeout(() => void this.flush(), this.delayMs).unref();
  }

  /** Hands the subscription's pending acknowledgements to a collect, which sends them with its take. */
  take(subscriptionId: string): string[] {
    const ids = this.pending.get(subscriptionId);
    if (!ids) return [];
    this.pending.delete(subscriptionId);
    return ids;
  }

  /** A collect that failed gives back what it took (its take may not have run). */
  giveBack(subscriptionId: string, deliveryIds: string[]): void {
    for (const id of deliveryIds) this.add(subscriptionId, id);
  }

  async stop(): Promise<void> {
    await this.flush();
  }

  private flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.size === 0) return this.flushing;
    const { keys } = this.core;
    const inflight: string[] = [];
    const deliveries: string[] = [];
    for (const [subscriptionId, ids] of this.pending) {
      for (const id of ids) {
        inflight.push(keys.negotiationInflight(subscriptionId));
        deliveries.push(id);
      }
    }
    this.pending.clear();
    this.flushing = this.core.scripts.call(acknowledgeScript, {}, {}, { keys: inflight, args: deliveries }).then(
      () => undefined,
      // Unacknowledged, they are delivered again after their leases: at least once still holds.
      (err: unknown) =>
        this.core.log.warn({ err, deliveries: deliveries.length }, 'negotiation deliveries not acknowledged'),
    );
    return this.flushing;
  }
}
