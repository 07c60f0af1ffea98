/** Bounds of the market's Redis structures (DESIGN §4: everything has a bound). */

/** How long records outlive their subscriptions (so late calls get "expired"/"unsubscribed" answers, not "unknown"). */
export const MARKET_RETENTION_MS = 60 * 60 * 1000;
/** Most events one subscription's queue keeps; older ones are dropped first. */
export const MAX_QUEUED_EVENTS = 100_000;
/** How often each instance ends expired subscriptions. */
export const SWEEP_INTERVAL_MS = 1000;
/** collect* maxEvents: default when absent, and the allowed range (yagna). */
export const DEFAULT_MAX_EVENTS = 20;
export const MAX_EVENTS_LIMIT = 100;
/** Default collect timeout (seconds) when the query has none. */
export const DEFAULT_COLLECT_TIMEOUT_S = 5;
