-- Ends a subscription (unsubscribe by its owner, or expiry by the sweeper): drops it from the active and owner sets,
-- deletes its event queues, tells every instance's matcher (stream entry) and wakes its waiting collects.
-- KEYS[1] record, KEYS[2] active set, KEYS[3] owner set, KEYS[4] proposal events, KEYS[5] notices, KEYS[6] stream
-- ARGV[1] id, [2] mode 'unsubscribe'|'expire', [3] caller (unsubscribe only), [4] kind, [5] now ms,
--     [6] wake channel of the event queue, [7] oldest stream id to keep
-- Returns 'ok', or why nothing changed: 'missing' | 'unsubscribed' | 'expired' | 'active' (expire of a live one).
local owner, kind, state, expiresAt = unpack(redis.call('HMGET', KEYS[1], 'owner', 'kind', 'state', 'expiresAt'))
local now = tonumber(ARGV[5])
if ARGV[2] == 'unsubscribe' then
  if not owner or owner ~= ARGV[3] or kind ~= ARGV[4] then return 'missing' end
  if state ~= 'active' then return 'unsubscribed' end
  if tonumber(expiresAt) <= now then return 'expired' end
  redis.call('HSET', KEYS[1], 'state', 'unsubscribed')
else
  local score = redis.call('ZSCORE', KEYS[2], ARGV[1])
  if not score then return 'missing' end
  if tonumber(score) > now then return 'active' end
end
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[3], ARGV[1])
redis.call('DEL', KEYS[4], KEYS[5])
redis.call('XADD', KEYS[6], 'MINID', '~', ARGV[7], '*', 'op', 'end', 'id', ARGV[1], 'kind', ARGV[4])
redis.call('PUBLISH', ARGV[6], KEYS[4])
return 'ok'
