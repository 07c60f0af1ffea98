-- Deletes a job record, its live log and its stored results, and wakes its runner (which then kills the run).
-- KEYS[1] job hash, KEYS[2] owner's job set, KEYS[3] provider's job set, KEYS[4] agreement's job set,
-- KEYS[5] active jobs zset, KEYS[6] live log, KEYS[7..] result keys the caller read from the record
-- ARGV[1] job id, ARGV[2] wake channel of the job key
-- Returns 1 deleted, 0 no such job, -2 the record now has more results than keys were given (read again).
local results = redis.call('HGET', KEYS[1], 'results')
if redis.call('EXISTS', KEYS[1]) == 0 then
  return 0
end
if results and results ~= '' and #cjson.decode(results) > #KEYS - 6 then
  return -2
end
for i = 6, #KEYS do
  redis.call('DEL', KEYS[i])
end
redis.call('DEL', KEYS[1])
redis.call('SREM', KEYS[2], ARGV[1])
redis.call('SREM', KEYS[3], ARGV[1])
redis.call('SREM', KEYS[4], ARGV[1])
redis.call('ZREM', KEYS[5], ARGV[1])
redis.call('PUBLISH', ARGV[2], KEYS[1])
return 1
