-- Moves a scan iterator's cursor forward (never back, whatever order concurrent collects finish in) and renews its
-- idle lifetime, unless the iterator was ended meanwhile (so an ended scan is never re-created without owner or
-- expiry).
-- KEYS: scan
-- ARGV: cursor (a stream id; '' = keep), idleMs
-- Returns {'ok'} or {'notfound'}
local function parse(id)
  local ms, n = string.match(id, '^(%d+)-(%d+)$')
  return tonumber(ms), tonumber(n)
end
if redis.call('EXISTS', KEYS[1]) == 0 then return {'notfound'} end
if ARGV[1] ~= '' then
  local oldMs, oldN = parse(redis.call('HGET', KEYS[1], 'cursor') or '0-0')
  local newMs, newN = parse(ARGV[1])
  if newMs > oldMs or (newMs == oldMs and newN > oldN) then redis.call('HSET', KEYS[1], 'cursor', ARGV[1]) end
end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return {'ok'}
