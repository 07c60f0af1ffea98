-- Hands the next waiting job of one provider to one runner: pops ids from the provider's queue (skipping jobs that
-- ended or vanished meanwhile), gives the first live one a new fencing token and a lease, clears what a previous
-- holder staged, and returns the record. Exactly one caller gets each job.
-- KEYS: provider queue, leases zset
-- ARGV: job key prefix (job hash = prefix .. id), provider, runner id, now ms, lease ms, wake channel prefix
-- Returns {'ok', fence, field, value, ...} or {'empty'}.
--- @include "withHash"
for _ = 1, 1000 do
  local id = redis.call('RPOP', KEYS[1])
  if not id then
    return {'empty'}
  end
  local job = ARGV[1] .. id
  local f = redis.call('HMGET', job, 'status', 'dateFinished', 'provider', 'runnerId')
  if f[1] and (not f[2] or f[2] == '') and f[3] == ARGV[2] then
    local fence = redis.call('HINCRBY', job, 'fence', 1)
    local lease = tonumber(ARGV[4]) + tonumber(ARGV[5])
    local previous = ''
    if tonumber(f[1]) ~= 1 then
      previous = f[4] or ''
    end
    redis.call('HSET', job, 'previousRunnerId', previous, 'runnerId', ARGV[3], 'leaseUntilMs', lease,
      'resultBytes', 0)
    redis.call('DEL', job .. ':staged')
    redis.call('ZADD', KEYS[2], lease, id)
    redis.call('PUBLISH', ARGV[6] .. job, job)
    return withHash({'ok', fence}, job)
  end
end
return {'empty'}
