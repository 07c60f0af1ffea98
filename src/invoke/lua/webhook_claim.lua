-- Claims the next attempt of one webhook delivery: only one instance attempts it at a time (the due time moves to
-- the end of the attempt's lease), and a delivery that already succeeded is never attempted again.
-- KEYS: webhooks due zset, invocation hash
-- ARGV: job id, now (ms), lease end (ms)
-- Returns {'ok', attempt number}, {'notdue'} or {'done'} (already delivered or abandoned; removed from the set).
local due = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not due then
  return {'notdue'}
end
if redis.call('HEXISTS', KEYS[2], 'webhookOutcome') == 1 then
  redis.call('ZREM', KEYS[1], ARGV[1])
  return {'done'}
end
if tonumber(due) > tonumber(ARGV[2]) then
  return {'notdue'}
end
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1])
return {'ok', redis.call('HINCRBY', KEYS[2], 'webhookAttempts', 1)}
