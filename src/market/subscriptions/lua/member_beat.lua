-- A matcher instance's heartbeat: renews its membership, records its progress (clearing a replay it owed once it is
-- past that view entry), and departs members that stopped beating.
-- KEYS: members, progress, orphaned, stream
-- ARGV: member, progress (stream id through which it has finished matching), deadAfterMs
-- Returns {'ok', departed count}, or {'gone'} when it was departed itself (it must join again).
--- @include "matcherDepart"
local member, progress, deadAfter = ARGV[1], ARGV[2], tonumber(ARGV[3])
if not redis.call('ZSCORE', KEYS[1], member) then return {'gone'} end
local now = redisNowMs()
redis.call('ZADD', KEYS[1], now, member)
local known = redis.call('HGET', KEYS[2], member)
if not known or streamIdLess(known, progress) then redis.call('HSET', KEYS[2], member, progress) end
local owedUntil = redis.call('HGET', KEYS[2], member .. ':owedUntil')
-- Strictly past: a member's progress equals a view entry before it has finished handling that entry.
if owedUntil and streamIdLess(owedUntil, progress) then
  redis.call('HDEL', KEYS[2], member .. ':owed', member .. ':owedUntil')
end
return {'ok', reapDead(KEYS[1], KEYS[2], KEYS[3], KEYS[4], now, deadAfter)}
