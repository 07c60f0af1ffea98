-- Acknowledges negotiation deliveries whose responses were written out, of any number of subscriptions at once (each
-- instance gathers them for a few milliseconds): they are dropped, never delivered again. One already gone (its
-- lease passed first, or its subscription ended) is skipped.
-- KEYS: inflight hash of each delivery's subscription
-- ARGV: the delivery ids, in the same order
-- Returns {'ok'}
for i, key in ipairs(KEYS) do redis.call('HDEL', key, ARGV[i]) end
return {'ok'}
