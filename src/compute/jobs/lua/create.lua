-- Creates a compute job once (idempotent: an existing job id is left untouched) and, unless it is created only to
-- record a refusal, puts it on its provider's queue and wakes that provider's runners.
-- KEYS: job hash, owner's job set, provider's job set, agreement's job set, active jobs zset (score = time after
--       which the watchdog acts), provider queue
-- ARGV: job id, active score (validToMs), wake channel of the job key, wake channel of the queue, '1' to enqueue,
--       then field/value pairs
-- Returns {'ok'} when created, {'exists'} when the job already existed.
if redis.call('EXISTS', KEYS[1]) == 1 then
  return {'exists'}
end
local fields = {}
for i = 6, #ARGV do
  fields[#fields + 1] = ARGV[i]
end
redis.call('HSET', KEYS[1], unpack(fields))
redis.call('SADD', KEYS[2], ARGV[1])
redis.call('SADD', KEYS[3], ARGV[1])
redis.call('SADD', KEYS[4], ARGV[1])
redis.call('ZADD', KEYS[5], ARGV[2], ARGV[1])
redis.call('PUBLISH', ARGV[3], KEYS[1])
if ARGV[5] == '1' then
  redis.call('LPUSH', KEYS[6], ARGV[1])
  redis.call('PUBLISH', ARGV[4], KEYS[6])
end
return {'ok'}
