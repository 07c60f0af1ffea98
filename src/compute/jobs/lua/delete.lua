-- Deletes a job record, its live log and staged results, and wakes its runner (which then kills the run). The
-- result files themselves live in the result store and are removed by the caller afterwards.
-- KEYS: job hash, owner's job set, provider's job set, agreement's job set, active jobs zset, leases zset,
--       live log, staged results, provider queue
-- ARGV: job id, wake channel of the job key
-- Returns {'ok', result slots ever staged}, {'notfound'}.
if redis.call('EXISTS', KEYS[1]) == 0 then
  return {'notfound'}
end
local slots = tonumber(redis.call('HGET', KEYS[1], 'resultSlots') or '0')
redis.call('DEL', KEYS[1], KEYS[7], KEYS[8])
redis.call('SREM', KEYS[2], ARGV[1])
redis.call('SREM', KEYS[3], ARGV[1])
redis.call('SREM', KEYS[4], ARGV[1])
redis.call('ZREM', KEYS[5], ARGV[1])
redis.call('ZREM', KEYS[6], ARGV[1])
redis.call('LREM', KEYS[9], 0, ARGV[1])
redis.call('PUBLISH', ARGV[2], KEYS[1])
return {'ok', slots}
