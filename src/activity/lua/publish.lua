-- Registers a file the holder of an activity published to the result store under its name (replacing an older one
-- of that name), within the activity's result byte budget.
-- KEYS: activity hash, activity results hash
-- ARGV: fence, name, index, size, max bytes
-- Returns {'ok', replaced index or ''}, {'fenced'} (not the holder, or the activity ended) or {'toolarge'}.
local f = redis.call('HMGET', KEYS[1], 'state', 'fence', 'resultBytes')
if not f[1] or f[1] == 'Terminated' or f[2] ~= ARGV[1] then
  return {'fenced'}
end
local old = redis.call('HGET', KEYS[2], ARGV[2])
local previous = old and cjson.decode(old) or nil
local total = (tonumber(f[3]) or 0) + tonumber(ARGV[4]) - (previous and previous['size'] or 0)
if total > tonumber(ARGV[5]) then
  return {'toolarge'}
end
redis.call('HSET', KEYS[2], ARGV[2], cjson.encode({index = tonumber(ARGV[3]), size = tonumber(ARGV[4])}))
redis.call('HSET', KEYS[1], 'resultBytes', total)
return {'ok', previous and tostring(previous['index']) or ''}
