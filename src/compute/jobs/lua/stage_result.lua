-- Records a result file uploaded by the job's holder, within the per-job size cap. The listing entry is published
-- with the job's final status (report.lua); the bytes are stored by the caller once this succeeds.
-- KEYS: job hash, staged results
-- ARGV: provider, fencing token, index, entry JSON, size in bytes, cap in bytes, most result files per job
-- Returns {'ok'}, {'notfound'}, {'notheld'}, {'ended'}, {'toolarge', bytes already staged}, {'toomany'}.
local f = redis.call('HMGET', KEYS[1], 'provider', 'fence', 'dateFinished', 'resultBytes', 'resultSlots')
if not f[1] or f[1] ~= ARGV[1] then
  return {'notfound'}
end
if f[3] and f[3] ~= '' then
  return {'ended'}
end
if f[2] ~= ARGV[2] then
  return {'notheld'}
end
local index = tonumber(ARGV[3])
if index >= tonumber(ARGV[7]) then
  return {'toomany'}
end
local staged = tonumber(f[4] or '0')
local previous = redis.call('HGET', KEYS[2], ARGV[3])
if previous then
  staged = staged - cjson.decode(previous).filesize
end
if staged + tonumber(ARGV[5]) > tonumber(ARGV[6]) then
  return {'toolarge', staged}
end
redis.call('HSET', KEYS[2], ARGV[3], ARGV[4])
redis.call('HSET', KEYS[1], 'resultBytes', staged + tonumber(ARGV[5]))
if index + 1 > tonumber(f[5] or '0') then
  redis.call('HSET', KEYS[1], 'resultSlots', index + 1)
end
return {'ok'}
