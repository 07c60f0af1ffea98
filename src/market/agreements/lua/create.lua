-- createAgreement: promotes a provider-issued Draft proposal to an agreement in state Proposal. Marking the proposal
-- Accepted and setting its agreementId happen in the same step as the checks, so one proposal never yields two
-- agreements, whichever instances race.
-- KEYS: proposal, agreement, expiring (agreements in a handshake), partyIndex (the requestor's agreements)
-- ARGV: caller, id (agreement hex), validToMs, nowMs, retentionMs, proposal key prefix (keys.proposal('')); tail: the
--       record's own fields (agreementToHash); the fields AGREEMENT_FROM_PROPOSALS names are copied here from the
--       Draft and from the requestor's proposal it answers (its prevId), read here, so no read precedes this call
-- Returns {'ok', providerId, offerId, demandId} or the refusal {code, detail}: notfound | own | second | initial |
--   rejected | countered | state
local caller, id = ARGV[1], ARGV[2]
local p = redis.call('HMGET', KEYS[1], 'id', 'requestorId', 'issuer', 'state', 'agreementId', 'counterId',
  'demandId', 'offerId', 'providerId', 'properties', 'constraints', 'prevId')
if not p[1] or p[2] ~= caller then return {'notfound'} end
if p[3] ~= 'provider' then return {'own'} end
if p[5] and p[5] ~= '' then return {'second'} end
if p[4] == 'Initial' then return {'initial'} end
if p[4] == 'Rejected' then return {'rejected'} end
if p[6] and p[6] ~= '' then return {'countered'} end
if p[4] ~= 'Draft' then return {'state', p[4]} end
if not p[12] or p[12] == '' then return {'notfound'} end
local d = redis.call('HMGET', ARGV[6] .. p[12], 'id', 'properties', 'constraints')
if d[1] ~= p[12] then return {'notfound'} end

local validToMs, nowMs = tonumber(ARGV[3]), tonumber(ARGV[4])
redis.call('HSET', KEYS[1], 'state', 'Accepted', 'agreementId', id)
redis.call('HSET', KEYS[2], 'proposalId', p[1], 'demandId', p[7], 'offerId', p[8], 'requestorId', caller,
  'providerId', p[9], 'demandProperties', d[2], 'demandConstraints', d[3], 'offerProperties', p[10],
  'offerConstraints', p[11], unpack(ARGV, 7))
-- Kept for the retention after its handshake deadline (yagna: 90 days after validTo), then purged.
redis.call('PEXPIREAT', KEYS[2], string.format('%.0f', math.max(validToMs, nowMs) + tonumber(ARGV[5])))
redis.call('ZADD', KEYS[3], ARGV[3], id)
redis.call('ZADD', KEYS[4], ARGV[4], id)
return {'ok', p[9], p[8], p[7]}
