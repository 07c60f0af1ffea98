-- A counter-proposal, as one check-and-set (golem-market-api.md §4.4): only the non-issuer of a proposal of this
-- subscription may answer it, at most once; a Rejected one is restored (restart after rejection); an Accepted one
-- only once its agreement is Rejected, Cancelled or Expired. The strong match was checked by the caller (properties
-- of a proposal never change).
-- KEYS[1] answered proposal, [2] new proposal, [3] demand record, [4] offer record, [5] recipient's proposal queue,
--     [6] agreement made from the answered proposal (or any key when none was expected)
-- ARGV[1] new hex, [2] caller role, [3] subscription id of the path, [4] agreement id the caller saw ('' = none),
--     [5] properties, [6] constraints, [7] now ms, [8] timestamp ISO, [9] event JSON, [10] wake channel of the queue,
--     [11] queue bound, [12] retention after the subscriptions expire (ms)
-- Returns 'ok' or the reason for refusing.
local p = redis.call('HMGET', KEYS[1], 'id', 'demandId', 'offerId', 'requestorId', 'providerId', 'issuer', 'state',
  'prevId', 'counterId', 'agreementId', 'providerKnows')
local role = ARGV[2]
if not p[1] then return 'notfound' end
local pathSub = role == 'requestor' and p[2] or p[3]
if pathSub ~= ARGV[3] or (role == 'provider' and p[11] ~= '1') then return 'notfound' end
if p[6] == role then return 'own' end
if p[10] ~= ARGV[4] then return 'retry' end
if p[9] ~= '' then return 'countered' end
if p[10] ~= '' then
  local agreementState = redis.call('HGET', KEYS[6], 'state')
  if agreementState ~= 'Rejected' and agreementState ~= 'Cancelled' and agreementState ~= 'Expired' then return 'countered' end
end
local now = tonumber(ARGV[7])
local o = redis.call('HMGET', KEYS[4], 'state', 'expiresAt')
if not o[1] then return 'offer-missing' end
if o[1] ~= 'active' then return 'offer-unsubscribed' end
if tonumber(o[2]) <= now then return 'offer-expired' end
local d = redis.call('HMGET', KEYS[3], 'state', 'expiresAt')
if d[1] ~= 'active' or tonumber(d[2]) <= now then return 'demand-missing' end

if p[7] == 'Rejected' then
  redis.call('HSET', KEYS[1], 'state', p[8] == '' and 'Initial' or 'Draft')
end
redis.call('HSET', KEYS[1], 'counterId', ARGV[1], 'providerKnows', '1')
redis.call('HSET', KEYS[2], 'id', ARGV[1], 'demandId', p[2], 'offerId', p[3], 'requestorId', p[4], 'providerId', p[5],
  'issuer', role, 'properties', ARGV[5], 'constraints', ARGV[6], 'state', 'Draft', 'timestamp', ARGV[8],
  'prevId', p[1], 'counterId', '', 'agreementId', '', 'providerKnows', '1', 'reason', '')
local retention = tonumber(ARGV[12])
local purgeAt = math.max(tonumber(d[2]), tonumber(o[2])) + retention
redis.call('PEXPIREAT', KEYS[2], purgeAt)
redis.call('PEXPIREAT', KEYS[1], purgeAt)
redis.call('RPUSH', KEYS[5], ARGV[9])
redis.call('LTRIM', KEYS[5], -tonumber(ARGV[11]), -1)
redis.call('PEXPIREAT', KEYS[5], purgeAt)
redis.call('PUBLISH', ARGV[10], KEYS[5])
return 'ok'
