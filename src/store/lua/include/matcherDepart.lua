-- Matcher membership (src/market/subscriptions/membership.ts). A member's progress fields in the progress hash:
--   <member>           the stream position through which it has finished matching (its heartbeat writes it)
--   <member>:owed      where a replay it still owes starts (set when another member departs; see below)
--   <member>:owedUntil the view entry after which that replay is done
-- streamIdLess(a, b): whether stream id a ('<ms>-<n>') comes before b.
local function streamIdLess(a, b)
  local am, an = string.match(a, '^(%d+)-(%d+)$')
  local bm, bn = string.match(b, '^(%d+)-(%d+)$')
  am, an, bm, bn = tonumber(am), tonumber(an), tonumber(bm), tonumber(bn)
  if am ~= bm then return am < bm end
  return an < bn
end

-- depart(...) removes `member` and appends the view entry that hands its shard to the others. The entry's `from` is
-- where every remaining member replays the stream against its shard: the departed matched nothing after its
-- progress, nor what it still owed from an earlier departure. Until a remaining member has passed this entry it owes
-- that replay itself, so its own death later hands the same start on (no pair falls between two departures).
-- When nobody remains, `from` is kept for the next member to join.
local function depart(membersKey, progressKey, orphanedKey, streamKey, member, progress)
  local from = progress
  local owed = redis.call('HGET', progressKey, member .. ':owed')
  if owed and streamIdLess(owed, from) then from = owed end
  redis.call('ZREM', membersKey, member)
  redis.call('HDEL', progressKey, member, member .. ':owed', member .. ':owedUntil')
  local remaining = redis.call('ZRANGE', membersKey, 0, -1)
  local view = redis.call('XADD', streamKey, '*', 'op', 'view', 'members', table.concat(remaining, ','), 'from', from)
  if #remaining == 0 then
    local orphaned = redis.call('GET', orphanedKey)
    if not orphaned or streamIdLess(from, orphaned) then redis.call('SET', orphanedKey, from) end
  end
  for _, other in ipairs(remaining) do
    local current = redis.call('HGET', progressKey, other .. ':owed')
    if not current or streamIdLess(from, current) then redis.call('HSET', progressKey, other .. ':owed', from) end
    redis.call('HSET', progressKey, other .. ':owedUntil', view)
  end
  return view
end

-- Departs every member whose last heartbeat is older than deadAfterMs (by Redis's clock, so hosts' clocks need not
-- agree). Returns how many.
local function reapDead(membersKey, progressKey, orphanedKey, streamKey, nowMs, deadAfterMs)
  local dead = redis.call('ZRANGEBYSCORE', membersKey, '-inf', '(' .. (nowMs - deadAfterMs))
  for _, member in ipairs(dead) do
    depart(membersKey, progressKey, orphanedKey, streamKey, member, redis.call('HGET', progressKey, member) or '0-0')
  end
  return #dead
end

-- Redis's clock in ms.
local function redisNowMs()
  local time = redis.call('TIME')
  return tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
end
