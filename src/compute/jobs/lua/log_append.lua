-- Appends a holder's output to a running job's live log tail, keeping only the last `cap` bytes, counts the bytes
-- ever appended in the job's `logBytes` (so a follower knows what it missed), and wakes log followers.
-- KEYS: live log, job hash
-- ARGV: chunk, cap in bytes, wake channel of the log key, provider, fencing token
-- Returns {'ok', total bytes appended so far}, {'notfound'}, {'notheld'}, {'ended'}.
local f = redis.call('HMGET', KEYS[2], 'provider', 'fence', 'dateFinished')
if not f[1] or f[1] ~= ARGV[4] then
  return {'notfound'}
end
if f[3] and f[3] ~= '' then
  return {'ended'}
end
if f[2] ~= ARGV[5] then
  return {'notheld'}
end
local cap = tonumber(ARGV[2])
local length = redis.call('APPEND', KEYS[1], ARGV[1])
if length > cap then
  redis.call('SET', KEYS[1], redis.call('GETRANGE', KEYS[1], length - cap, -1))
end
local total = redis.call('HINCRBY', KEYS[2], 'logBytes', string.len(ARGV[1]))
redis.call('PUBLISH', ARGV[3], KEYS[1])
return {'ok', total}
