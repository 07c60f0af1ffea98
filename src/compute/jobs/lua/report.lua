-- A runner's status report for a job it holds: the status moves forward (or stays, to record a redone step), never
-- back; fields are set (the first move off status 1 sets dateStarted); a terminal status publishes the staged results
-- as the job's listing and ends the claim.
-- Refused (nothing changes) unless the job is this provider's and the fencing token is the current claim's.
-- KEYS: job hash, active jobs zset, leases zset, staged results
-- ARGV: provider, fencing token, new status, its text, '1' when terminal, now (epoch seconds text),
--       wake channel of the job key, new active-set score ('' = unchanged), then field/value pairs
-- Returns {'ok', status, stop requested ('1' or '')}, {'notfound'}, {'notheld'}, {'ended', status},
-- {'backwards', status}.
local job = KEYS[1]
local current = redis.call('HMGET', job, 'status', 'dateFinished', 'provider', 'fence', 'jobId', 'stopRequested')
if not current[1] or current[3] ~= ARGV[1] then
  return {'notfound'}
end
local status = tonumber(current[1])
if current[2] and current[2] ~= '' then
  return {'ended', status}
end
if current[4] ~= ARGV[2] then
  return {'notheld'}
end
if tonumber(ARGV[3]) < status then
  return {'backwards', status}
end
local fields = {'status', ARGV[3], 'statusText', ARGV[4]}
for i = 9, #ARGV do
  fields[#fields + 1] = ARGV[i]
end
redis.call('HSET', job, unpack(fields))
if status == 1 and tonumber(ARGV[3]) > 1 then
  -- The first step a runner reports is when the job started (kept when another runner resumes it).
  redis.call('HSET', job, 'dateStarted', ARGV[6])
end
if ARGV[5] == '1' then
  local entries = {}
  for _, raw in ipairs(redis.call('HVALS', KEYS[4])) do
    entries[#entries + 1] = cjson.decode(raw)
  end
  table.sort(entries, function(a, b) return a.index < b.index end)
  local listing = '[]'
  if #entries > 0 then
    listing = cjson.encode(entries)
  end
  redis.call('HSET', job, 'results', listing, 'dateFinished', ARGV[6], 'leaseUntilMs', '')
  redis.call('HINCRBY', job, 'fence', 1)
  redis.call('ZREM', KEYS[2], current[5])
  redis.call('ZREM', KEYS[3], current[5])
  redis.call('DEL', KEYS[4])
elseif ARGV[8] ~= '' then
  redis.call('ZADD', KEYS[2], ARGV[8], current[5])
end
redis.call('PUBLISH', ARGV[7], job)
return {'ok', tonumber(ARGV[3]), current[6] or ''}
