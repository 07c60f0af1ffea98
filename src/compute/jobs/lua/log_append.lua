-- Appends to a running job's live log tail, keeping only the last ARGV[2] bytes, counts the bytes ever
-- appended in the job's `logBytes` (so a follower knows what it missed), and wakes log followers.
-- KEYS[1] live log, KEYS[2] job hash; ARGV[1] chunk, ARGV[2] cap in bytes, ARGV[3] wake channel of the log key
-- Returns the total bytes appended so far, or -1 when the job no longer exists.
if redis.call('EXISTS', KEYS[2]) == 0 then
  return -1
end
local cap = tonumber(ARGV[2])
local length = redis.call('APPEND', KEYS[1], ARGV[1])
if length > cap then
  redis.call('SET', KEYS[1], redis.call('GETRANGE', KEYS[1], length - cap, -1))
end
local total = redis.call('HINCRBY', KEYS[2], 'logBytes', string.len(ARGV[1]))
redis.call('PUBLISH', ARGV[3], KEYS[1])
return total
