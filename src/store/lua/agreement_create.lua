-- createAgreement (golem-market-api.md §2.4, §4.4 rule 7): promotes a provider-issued Draft proposal to an
-- agreement in state Proposal. Marking the proposal Accepted and setting its agreementId happen in the same
-- step as the checks, so one proposal never yields two agreements, whichever instances race.
-- KEYS: 1 proposal, 2 the requestor's proposal it answers (its prevId; KEYS[1] again when it has none), 3 agreement, 4 expiring agreements,
--       5 the requestor's agreement index
-- ARGV: 1 caller, 2 agreement hex, 3 validTo ISO, 4 validTo ms, 5 now ISO, 6 now ms, 7 retention ms
-- Returns {'ok'} or {'<refusal>', detail}: notfound | own | second | initial | rejected | countered | state
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
local d = redis.call('HMGET', KEYS[2], 'id', 'properties', 'constraints')
if d[1] ~= p[12] then return {'notfound'} end

local validToMs, nowMs = tonumber(ARGV[4]), tonumber(ARGV[6])
redis.call('HSET', KEYS[1], 'state', 'Accepted', 'agreementId', id)
redis.call('HSET', KEYS[3],
  'id', id, 'proposalId', p[1], 'demandId', p[7], 'offerId', p[8], 'requestorId', caller, 'providerId', p[9],
  'demandProperties', d[2], 'demandConstraints', d[3], 'offerProperties', p[10], 'offerConstraints', p[11],
  'validTo', ARGV[3], 'validToMs', ARGV[4], 'state', 'Proposal', 'timestamp', ARGV[5], 'createdMs', ARGV[6],
  'approvedDate', '', 'confirmedDate', '', 'requestorSession', '', 'providerSession', '',
  'terminator', '', 'reason', '', 'terminatedDate', '')
-- Kept for the retention after its handshake deadline (yagna: 90 days after validTo), then purged.
redis.call('PEXPIREAT', KEYS[3], string.format('%.0f', math.max(validToMs, nowMs) + tonumber(ARGV[7])))
redis.call('ZADD', KEYS[4], ARGV[4], id)
redis.call('ZADD', KEYS[5], ARGV[6], id)
return {'ok'}
