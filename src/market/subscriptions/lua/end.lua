-- Ends a subscription (unsubscribe by its owner, or expiry by the sweeper): drops it from the active and owner sets,
-- deletes its record, event queues and deliveries and its stream entry (a matcher that has not read that yet reads
-- the 'end' entry next), leaves a tombstone (subscriptionTombstone: what "unsubscribed"/"expired" answers need),
-- tells every instance's matcher (stream entry) and wakes its collects.
-- KEYS: record, active, owned, events (proposal queue), notices, inflight (deliveries), stream
-- ARGV: id, mode ('unsubscribe' | 'expire'), caller (unsubscribe only), kind, now ms, eventsChannel, oldestStreamId
-- Returns {'ok'}, or why nothing changed: {'missing'} | {'unsubscribed'} | {'expired'} | {'active'} (expire of a
-- live one).
--- @include "subscriptionStatus"
local id, mode, caller, kind, now = ARGV[1], ARGV[2], ARGV[3], ARGV[4], tonumber(ARGV[5])
local state
if mode == 'unsubscribe' then
  local status = ownedSubscriptionStatus(KEYS[1], now, caller, kind)
  if status ~= 'active' then return {status} end
  state = 'unsubscribed'
else
  local score = redis.call('ZSCORE', KEYS[2], id)
  if not score then return {'missing'} end
  if tonumber(score) > now then return {'active'} end
  state = 'expired'
end
local owner, recordKind, seq = unpack(redis.call('HMGET', KEYS[1], 'owner', 'kind', 'seq'))
if owner then
  redis.call('DEL', KEYS[1])
  writeTombstone(KEYS[1], now, state, recordKind, owner)
  if seq then redis.call('XDEL', KEYS[7], seq) end
end
redis.call('ZREM', KEYS[2], id)
redis.call('ZREM', KEYS[3], id)
redis.call('DEL', KEYS[4], KEYS[5], KEYS[6])
redis.call('XADD', KEYS[7], 'MINID', '~', ARGV[7], '*', 'op', 'end', 'id', id, 'kind', kind)
redis.call('PUBLISH', ARGV[6], KEYS[4])
return {'ok'}
