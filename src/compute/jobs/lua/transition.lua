-- The API's own compare-and-set status transition of a job (watchdog, refused workloads); runners use report.lua.
-- A terminal job (dateFinished set) never moves again, whatever the expected list says. A terminal status also ends
-- any claim on the job (its fence grows, so the holder's next report is refused).
-- KEYS: job hash, active jobs zset, leases zset
-- ARGV: expected current statuses (comma-separated), new status, its text, '1' when terminal, now (epoch seconds
--       text), wake channel of the job key, new active-set score ('' = unchanged), then field/value pairs
-- Returns {'ok', new status}, {'moved', current status} when the status did not match, {'notfound'}.
local job = KEYS[1]
local current = redis.call('HMGET', job, 'status', 'dateFinished', 'jobId')
if not current[1] then
  return {'notfound'}
end
local status = tonumber(current[1])
if current[2] and current[2] ~= '' then
  return {'moved', status}
end
local allowed = false
for code in string.gmatch(ARGV[1], '[^,]+') do
  if tonumber(code) == status then
    allowed = true
  end
end
if not allowed then
  return {'moved', status}
end
local fields = {'status', ARGV[2], 'statusText', ARGV[3]}
for i = 8, #ARGV do
  fields[#fields + 1] = ARGV[i]
end
redis.call('HSET', job, unpack(fields))
if ARGV[4] == '1' then
  redis.call('HSET', job, 'dateFinished', ARGV[5], 'leaseUntilMs', '')
  redis.call('HINCRBY', job, 'fence', 1)
  redis.call('ZREM', KEYS[2], current[3])
  redis.call('ZREM', KEYS[3], current[3])
elseif ARGV[7] ~= '' then
  redis.call('ZADD', KEYS[2], ARGV[7], current[3])
end
redis.call('PUBLISH', ARGV[6], job)
return {'ok', tonumber(ARGV[2])}
