-- Creates a compute job once (idempotent: an existing job id is left untouched).
-- KEYS[1] job hash, KEYS[2] owner's job set, KEYS[3] provider's job set, KEYS[4] agreement's job set,
-- KEYS[5] active jobs zset (score = time after which the watchdog acts)
-- ARGV[1] job id, ARGV[2] active score (validToMs), ARGV[3] wake channel of the job key, ARGV[4..] field/value pairs
-- Returns 1 when created, 0 when the job already existed.
if redis.call('EXISTS', KEYS[1]) == 1 then
  return 0
end
local fields = {}
for i = 4, #ARGV do
  fields[#fields + 1] = ARGV[i]
end
redis.call('HSET', KEYS[1], unpack(fields))
redis.call('SADD', KEYS[2], ARGV[1])
redis.call('SADD', KEYS[3], ARGV[1])
redis.call('SADD', KEYS[4], ARGV[1])
redis.call('ZADD', KEYS[5], ARGV[2], ARGV[1])
redis.call('PUBLISH', ARGV[3], KEYS[1])
return 1
