-- A matcher instance joins the membership: departs the dead first, then adds `member` and appends the view entry from
-- which it matches (others drop what it now owns when they read that entry). Joining an empty membership, it
-- replays from where the last member left (nobody matched in between).
-- KEYS: members (zset member → last heartbeat ms), progress (hash, see matcherDepart), orphaned, stream
-- ARGV: member, deadAfterMs
-- Returns {'ok', view entry id, members (comma-separated), from ('' when nothing to replay)}
--- @include "matcherDepart"
local member, deadAfter = ARGV[1], tonumber(ARGV[2])
local now = redisNowMs()
reapDead(KEYS[1], KEYS[2], KEYS[3], KEYS[4], now, deadAfter)
local from = ''
if redis.call('ZCARD', KEYS[1]) == 0 then
  from = redis.call('GET', KEYS[3]) or ''
  redis.call('DEL', KEYS[3])
end
redis.call('ZADD', KEYS[1], now, member)
local members = table.concat(redis.call('ZRANGE', KEYS[1], 0, -1), ',')
local view = redis.call('XADD', KEYS[4], '*', 'op', 'view', 'members', members, 'from', from)
-- It covers nothing before its entry; if it dies before replaying, its successor replays from `from`.
redis.call('HSET', KEYS[2], member, view)
if from ~= '' then redis.call('HSET', KEYS[2], member .. ':owed', from, member .. ':owedUntil', view) end
return {'ok', view, members, from}
