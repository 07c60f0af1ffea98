-- Appends one event to an identity's append-only event log (a sorted set scored by µs timestamp) and wakes its
-- long-polls. The timestamp is unique and strictly increasing per log (the clock key remembers the last one), so
-- clients can page with the last eventDate as an exclusive cursor. Entries older than the retention are trimmed.
-- log, clock: keys; session: the viewer's appSessionId ('' = none); payload: the event as JSON (no eventDate);
-- nowUs: current time in µs; retentionMs: how long entries are kept; wakePrefix: the wake channel prefix.
local function append_event(log, clock, session, payload, nowUs, retentionMs, wakePrefix)
  local last = tonumber(redis.call('GET', clock) or '0')
  local ts = math.max(nowUs, last + 1)
  redis.call('SET', clock, string.format('%.0f', ts), 'PX', retentionMs)
  redis.call('ZADD', log, string.format('%.0f', ts),
    '{"t":' .. string.format('%.0f', ts) .. ',"s":' .. cjson.encode(session) .. ',"e":' .. payload .. '}')
  redis.call('ZREMRANGEBYSCORE', log, '-inf', string.format('(%.0f', nowUs - retentionMs * 1000))
  redis.call('PEXPIRE', log, retentionMs)
  redis.call('PUBLISH', wakePrefix .. log, log)
  return ts
end
