-- Ends an activity (destroyActivity): state Terminated with the reason. A runner holding it is told through its
-- provider's claim queue (an 'end:<id>' entry only that runner's claim takes, see claim.lua), so it removes the
-- workspace and frees its capacity at once rather than at its next renewal; an activity no runner holds loses its
-- lease entry at once.
-- KEYS: activity hash, activity leases zset, provider's activity queue
-- ARGV: activity id, now ms, reason, activity wake channel, queue wake channel
-- Returns {'ok'}, {'notfound'} or {'terminated'} (already ended).
local f = redis.call('HMGET', KEYS[1], 'state', 'runnerId')
if not f[1] then
  return {'notfound'}
end
if f[1] == 'Terminated' then
  return {'terminated'}
end
redis.call('HSET', KEYS[1], 'state', 'Terminated', 'terminatedMs', ARGV[2], 'reason', ARGV[3])
if f[2] == '' then
  redis.call('ZREM', KEYS[2], ARGV[1])
else
  redis.call('RPUSH', KEYS[3], 'end:' .. ARGV[1])
  redis.call('PUBLISH', ARGV[5], KEYS[3])
end
redis.call('PUBLISH', ARGV[4], KEYS[1])
return {'ok'}
