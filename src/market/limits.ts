/** Bounds of the market's Redis structures: everything stored has a bound. */

/** How long records outlive their subscriptions (so late calls get "expired"/"unsubscribed" answers, not "unknown"). */
export const MARKET_RETENTION_MS = 60 * 60 * 1000;
/** Most events one subscription's queue keeps; older ones are dropped first. */
export const MAX_QUEUED_EVENTS = 100_000;
/**
 * How long an ended subscription's 'end' entry stays in the subscription stream: every instance's matcher must have
 * read it by then (they tail the stream continuously; one lagging longer keeps the ended subscription indexed, which
 * only costs it memory: proposals with it are refused).
 */
export const ENDED_STREAM_ENTRY_GRACE_MS = 30_000;
/** How often each instance ends expired subscriptions (and trims the stream's old 'end' entries). */
export const SWEEP_INTERVAL_MS = 1000;
/** collect* maxEvents: default when absent, and the allowed range (yagna). */
export const DEFAULT_MAX_EVENTS = 20;
export const MAX_EVENTS_LIMIT = 100;
/** Default collect timeout (seconds) when the query has none. */
export const DEFAULT_COLLECT_TIMEOUT_S = 5;
/**
 * Negotiation events are delivered at least once. The events a collect returns stay recorded until the response has
 * been written out and acknowledged (negotiation/acknowledgements.ts). When the instance dies before
 * the response went out, they are delivered again once this lease has passed (configurable with
 * BOURSE_NEGOTIATION_LEASE_MS). Longer than any response takes to render; short enough that a stalled negotiation
 * resumes well within a collect timeout.
 */
export const DEFAULT_NEGOTIATION_LEASE_MS = 15_000;
/** How often each instance expires agreement handshakes past their validTo, and how many per round. */
export const AGREEMENT_SWEEP_INTERVAL_MS = 250;
export const AGREEMENT_SWEEP_BATCH = 200;
