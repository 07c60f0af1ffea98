-- Renews the lease of a job its runner still holds (the runner's heartbeat).
-- KEYS: job hash, leases zset
-- ARGV: provider, fencing token, now ms, lease ms
-- Returns {'ok', lease end ms} or {'lost'} (ended, deleted, released or claimed by another runner).
local f = redis.call('HMGET', KEYS[1], 'provider', 'fence', 'dateFinished', 'jobId', 'leaseUntilMs')
if f[1] ~= ARGV[1] or f[2] ~= ARGV[2] or (f[3] and f[3] ~= '') or not f[5] or f[5] == '' then
  return {'lost'}
end
local lease = tonumber(ARGV[3]) + tonumber(ARGV[4])
redis.call('HSET', KEYS[1], 'leaseUntilMs', lease)
redis.call('ZADD', KEYS[2], lease, f[4])
return {'ok', lease}
