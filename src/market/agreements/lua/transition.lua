-- One agreement state transition, atomically: the caller's role and visibility, the lazy expiry at validTo, the
-- state check, the new fields, one event per party, the wake-ups and the hand-off to compute (of demands with a
-- workload). The rules come from the one state table (AGREEMENT_ACTIONS in record.ts): ARGV spec is the called
-- action's row as JSON.
-- Action 'read' only applies a due expiry (GET, list, waitForApproval, the expiry sweeper).
-- KEYS: agreement, expiring, requestorLog, providerLog, requestorClock, providerClock (event logs and their
--       clocks), providerIndex (the provider's agreements), offerNotices, approvals (the hand-off stream),
--       stateKey (wake key of the agreement's state), offerQueue (wake key of the offer's collects)
-- ARGV: action, spec (JSON {caller, from, to, event}), caller ('' = the system), wakePrefix, nowIso, session,
--       reason (JSON or ''), retentionMs, notice (AgreementEvent entry for confirm), handoffFields (JSON list of
--       the hand-off entry's field names, in order), handoffVersion, bound (notice queue length), nowMs (the
--       instant nowIso names), workloadName (how a workload property's name starts in the demand's JSON: only
--       such demands are handed off)
-- Returns {'ok', state} ({'ok', state, record as HGETALL lists it} for terminate) | {'notfound'} | {'illegal', state}
--- @include "enqueueEvent"
local action, spec, caller, wakePrefix, nowIso = ARGV[1], cjson.decode(ARGV[2]), ARGV[3], ARGV[4], ARGV[5]
local session, reason, retentionMs = ARGV[6], ARGV[7], tonumber(ARGV[8])
local from = {}
for _, state in ipairs(spec.from) do from[state] = true end

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
if not role or (spec.caller ~= 'party' and role ~= 'system' and role ~= spec.caller) then return {'notfound'} end

local function wake(key) redis.call('PUBLISH', wakePrefix .. key, key) end
local time = redis.call('TIME')
local nowUs = tonumber(time[1]) * 1000000 + tonumber(time[2])
local nowMs = math.floor(nowUs / 1000)

-- validTo is the handshake deadline: an agreement still in Proposal/Pending then is Expired (no event).
if (state == 'Proposal' or state == 'Pending') and tonumber(a[5]) * 1000 <= nowUs then
  state = 'Expired'
  redis.call('HSET', KEYS[1], 'state', state)
  redis.call('ZREM', KEYS[2], id)
  wake(KEYS[10])
end
if action == 'read' then return {'ok', state} end
if not from[state] then return {'illegal', state} end

local requestorSession, providerSession = a[7], a[8]
redis.call('HSET', KEYS[1], 'state', spec.to)
if spec.to ~= 'Pending' then redis.call('ZREM', KEYS[2], id) end
if reason ~= '' then redis.call('HSET', KEYS[1], 'reason', reason) end
local terminator = role == 'requestor' and 'Requestor' or 'Provider'
if action == 'confirm' then
  requestorSession = session
  redis.call('HSET', KEYS[1], 'confirmedDate', nowIso, 'requestorSession', session)
  redis.call('ZADD', KEYS[7], a[9], id)
  enqueueEvent(KEYS[8], ARGV[9], tonumber(ARGV[12]), 0, wakePrefix .. KEYS[11], KEYS[11])
elseif action == 'approve' then
  providerSession = session
  redis.call('HSET', KEYS[1], 'approvedDate', nowIso, 'providerSession', session)
  local r = redis.call('HMGET', KEYS[1], 'requestorId', 'providerId', 'validToMs', 'demandProperties',
    'offerProperties')
  if r[4] and string.find(r[4], ARGV[14], 1, true) then
    local values = { v = ARGV[11], agreementId = id, requestorId = r[1], providerId = r[2], validToMs = r[3],
      approvedAtMs = ARGV[13], demandProperties = r[4], offerProperties = r[5] }
    local entry = {}
    for _, name in ipairs(cjson.decode(ARGV[10])) do
      if values[name] == nil then return redis.error_reply('no value for hand-off field ' .. name) end
      table.insert(entry, name)
      table.insert(entry, values[name])
    end
    -- Compute acknowledges within seconds; a day of history bounds the stream and still covers any outage.
    redis.call('XADD', KEYS[9], 'MINID', '~', string.format('%.0f', nowMs - 86400000), '*', unpack(entry))
  end
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
-- A termination's listeners (the final invoice) need the record as it ended: returned, not read again.
if action == 'terminate' then return {'ok', spec.to, redis.call('HGETALL', KEYS[1])} end
return {'ok', spec.to}
