-- One agreement state transition (golem-market-api.md §4.5-4.7), atomically: the caller's role and visibility,
-- the lazy expiry at validTo, the state check, the new fields, one event per party, the wake-ups and hand-offs.
-- Action 'read' only applies a due expiry (GET, list, waitForApproval, the expiry sweeper).
-- KEYS: 1 agreement, 2 expiring agreements, 3 requestor's event log, 4 provider's event log, 5 requestor's event
--       clock, 6 provider's event clock, 7 provider's agreement index, 8 offer's negotiation notices,
--       9 approved-agreements stream, 10 agreement state wake key, 11 offer's negotiation events (wake key)
-- ARGV: 1 action, 2 caller ('' = the system), 3 wake channel prefix, 4 now ISO, 5 appSessionId,
--       6 reason JSON or '', 7 event retention ms, 8 AgreementEvent notice JSON (confirm)
-- Returns {'ok', state} | {'notfound'} | {'illegal', state}
local ACTIONS = {
  read = { role = 'party' },
  confirm = { role = 'requestor', from = { Proposal = true }, to = 'Pending' },
  approve = { role = 'provider', from = { Pending = true }, to = 'Approved', event = 'AgreementApprovedEvent' },
  reject = { role = 'provider', from = { Pending = true }, to = 'Rejected', event = 'AgreementRejectedEvent' },
  cancel = { role = 'requestor', from = { Proposal = true, Pending = true }, to = 'Cancelled', event = 'AgreementCancelledEvent' },
  terminate = { role = 'party', from = { Approved = true }, to = 'Terminated', event = 'AgreementTerminatedEvent' },
}
local action, caller, wakePrefix, nowIso = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local session, reason, retentionMs = ARGV[5], ARGV[6], tonumber(ARGV[7])
local spec = ACTIONS[action]
if not spec then return redis.error_reply('unknown agreement action ' .. tostring(action)) end

local a = redis.call('HMGET', KEYS[1], 'id', 'state', 'requestorId', 'providerId', 'validToMs', 'confirmedDate',
  'requestorSession', 'providerSession', 'createdMs')
local id, state = a[1], a[2]
if not id then return {'notfound'} end
local confirmed = a[6] ~= ''

-- The provider does not know an agreement before it is confirmed (in yagna it exists only on the requestor's node).
local role
if caller == '' and action == 'read' then role = 'system'
elseif caller == a[3] then role = 'requestor'
elseif caller == a[4] and confirmed then role = 'provider' end
if not role or (spec.role ~= 'party' and role ~= 'system' and role ~= spec.role) then return {'notfound'} end

local function wake(key) redis.call('PUBLISH', wakePrefix .. key, key) end
local time = redis.call('TIME')
local nowUs = tonumber(time[1]) * 1000000 + tonumber(time[2])

-- validTo is the handshake deadline: an agreement still in Proposal/Pending then is Expired (no event).
if (state == 'Proposal' or state == 'Pending') and tonumber(a[5]) * 1000 <= nowUs then
  state = 'Expired'
  redis.call('HSET', KEYS[1], 'state', state)
  redis.call('ZREM', KEYS[2], id)
  wake(KEYS[10])
end
if action == 'read' then return {'ok', state} end
if not spec.from[state] then return {'illegal', state} end

local requestorSession, providerSession = a[7], a[8]
redis.call('HSET', KEYS[1], 'state', spec.to)
if spec.to ~= 'Pending' then redis.call('ZREM', KEYS[2], id) end
if reason ~= '' then redis.call('HSET', KEYS[1], 'reason', reason) end
local terminator = role == 'requestor' and 'Requestor' or 'Provider'
if action == 'confirm' then
  requestorSession = session
  redis.call('HSET', KEYS[1], 'confirmedDate', nowIso, 'requestorSession', session)
  redis.call('ZADD', KEYS[7], a[9], id)
  redis.call('RPUSH', KEYS[8], ARGV[8])
  wake(KEYS[11])
elseif action == 'approve' then
  providerSession = session
  redis.call('HSET', KEYS[1], 'approvedDate', nowIso, 'providerSession', session)
  -- The dispatcher acknowledges within seconds; a day of history bounds the stream and still covers any outage.
  redis.call('XADD', KEYS[9], 'MINID', '~', math.floor(nowUs / 1000) - 86400000, '*', 'agreementId', id)
elseif action == 'terminate' then
  redis.call('HSET', KEYS[1], 'terminator', terminator, 'terminatedDate', nowIso)
end

-- One event per party; its timestamp (µs) is strictly greater than the viewer's previous one.
local function append(log, clock, viewerSession, payload)
  local last = tonumber(redis.call('GET', clock) or '0')
  local ts = string.format('%.0f', math.max(nowUs, last + 1))
  redis.call('SET', clock, ts, 'PX', retentionMs)
  redis.call('ZADD', log, ts, '{"t":' .. ts .. ',"s":' .. cjson.encode(viewerSession) .. ',"e":' .. payload .. '}')
  redis.call('ZREMRANGEBYSCORE', log, '-inf', string.format('(%.0f', nowUs - retentionMs * 1000))
  redis.call('PEXPIRE', log, retentionMs)
  wake(log)
end
if spec.event then
  local payload = '{"agreementId":"' .. id .. '","eventType":"' .. spec.event .. '"'
  if action == 'terminate' then payload = payload .. ',"terminator":"' .. terminator .. '","signature":""' end
  if reason ~= '' then payload = payload .. ',"reason":' .. reason end
  payload = payload .. '}'
  append(KEYS[3], KEYS[5], requestorSession, payload)
  if confirmed then append(KEYS[4], KEYS[6], providerSession, payload) end
end
wake(KEYS[10])
return {'ok', spec.to}
