/**
 * Size limits of what one demand or offer may carry. Every instance compiles every subscription on its own event
 * loop, so these bound the time one compile blocks it (measured in `npm run bench -- constraints`). Real yagna
 * constraints are a few hundred bytes with tens of terms, and real offers carry about a hundred properties.
 */
/** Longest constraint text, in UTF-8 bytes. */
export const MAX_CONSTRAINT_BYTES = 64 * 1024;
/** Most terms (`(name op value)` or `(name=*)`) in one constraint. */
export const MAX_CONSTRAINT_TERMS = 2000;
/** Most properties one demand or offer may have once flattened. */
export const MAX_PROPERTIES = 2000;
