-- Ends a subscription (unsubscribe by its owner, or expiry by the sweeper): drops it from the active and owner sets,
-- deletes its event queues and deliveries, replaces its record by a tombstone (kind, owner, state, expiresAt: what
-- "unsubscribed"/"expired" answers need, small enough for Redis's compact encoding) that expires after tombstoneMs,
-- tells every instance's matcher (stream entry) and wakes its collects.
-- KEYS: record, active, owned, events (proposal queue), notices, inflight (deliveries), stream
-- ARGV: id, mode ('unsubscribe' | 'expire'), caller (unsubscribe only), kind, now ms, eventsChannel, oldestStreamId,
--       tombstoneMs
-- Returns {'ok'}, or why nothing changed: {'missing'} | {'unsubscribed'} | {'expired'} | {'active'} (expire of a
-- live one).
local id, mode, caller, kind, now = ARGV[1], ARGV[2], ARGV[3], ARGV[4], tonumber(ARGV[5])
local owner, recordKind, state, expiresAt = unpack(redis.call('HMGET', KEYS[1], 'owner', 'kind', 'state', 'expiresAt'))
if mode == 'unsubscribe' then
  if not owner or owner ~= caller or recordKind ~= kind then return {'missing'} end
  if state ~= 'active' then return {'unsubscribed'} end
  if tonumber(expiresAt) <= now then return {'expired'} end
  state = 'unsubscribed'
else
  local score = redis.call('ZSCORE', KEYS[2], id)
  if not score then return {'missing'} end
  if tonumber(score) > now then return {'active'} end
end
if owner then
  -- Only ever shortens the record's life (a late sweep must not extend it).
  local purgeAt = redis.call('PEXPIRETIME', KEYS[1])
  local tombstoneUntil = now + tonumber(ARGV[8])
  if purgeAt > 0 and purgeAt < tombstoneUntil then tombstoneUntil = purgeAt end
  -- A new hash rather than HDEL: a hash once converted to a hashtable (long values) never shrinks back.
  redis.call('DEL', KEYS[1])
  redis.call('HSET', KEYS[1], 'kind', recordKind, 'owner', owner, 'state', state, 'expiresAt', expiresAt)
  redis.call('PEXPIREAT', KEYS[1], string.format('%.0f', tombstoneUntil))
end
redis.call('ZREM', KEYS[2], id)
redis.call('ZREM', KEYS[3], id)
redis.call('DEL', KEYS[4], KEYS[5], KEYS[6])
redis.call('XADD', KEYS[7], 'MINID', '~', ARGV[7], '*', 'op', 'end', 'id', id, 'kind', kind)
redis.call('PUBLISH', ARGV[6], KEYS[4])
return {'ok'}
