-- The one compare-and-set status transition of a compute job.
-- KEYS[1] job hash, KEYS[2] active jobs zset, KEYS[3..] result keys to write with this transition
-- ARGV[1] expected current statuses, comma-separated, ARGV[2] new status, ARGV[3] new status text,
-- ARGV[4] '1' when the new status is terminal, ARGV[5] now as epoch seconds text (dateFinished when terminal),
-- ARGV[6] wake channel of the job key, ARGV[7] new active-set score ('' = unchanged),
-- ARGV[8] number N of field/value pairs, ARGV[9 .. 8+2N] the pairs, then one value per result key.
-- A terminal job (dateFinished set) never moves again, whatever the expected list says.
-- Returns {1, new} on success, {0, current} when the status did not match, {-1, 0} when the job does not exist.
local job = KEYS[1]
local current = redis.call('HMGET', job, 'status', 'dateFinished')
if not current[1] then
  return {-1, 0}
end
local status = tonumber(current[1])
if current[2] and current[2] ~= '' then
  return {0, status}
end
local allowed = false
for code in string.gmatch(ARGV[1], '[^,]+') do
  if tonumber(code) == status then
    allowed = true
  end
end
if not allowed then
  return {0, status}
end
local n = tonumber(ARGV[8])
local fields = {'status', ARGV[2], 'statusText', ARGV[3]}
for i = 9, 8 + 2 * n do
  fields[#fields + 1] = ARGV[i]
end
redis.call('HSET', job, unpack(fields))
local firstValue = 9 + 2 * n
for i = 3, #KEYS do
  redis.call('SET', KEYS[i], ARGV[firstValue + i - 3])
end
local id = redis.call('HGET', job, 'jobId')
if ARGV[4] == '1' then
  redis.call('HSET', job, 'dateFinished', ARGV[5])
  redis.call('ZREM', KEYS[2], id)
elseif ARGV[7] ~= '' then
  redis.call('ZADD', KEYS[2], ARGV[7], id)
end
redis.call('PUBLISH', ARGV[6], job)
return {1, tonumber(ARGV[2])}
