-- Creates the Initial proposal of a matching demand/offer pair at most once (its id is derived from the pair),
-- and queues exactly one ProposalEvent on the demand. Both subscriptions must still be active.
-- KEYS[1] proposal, KEYS[2] demand record, KEYS[3] offer record, KEYS[4] demand's proposal event queue
-- ARGV[1] hex, [2] now ms, [3] timestamp ISO, [4] event JSON, [5] wake channel of the queue, [6] queue bound,
--     [7] retention after the subscriptions expire (ms)
-- Returns 1 when created, 0 when it already existed, -1 when a subscription is no longer active.
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local now = tonumber(ARGV[2])
local d = redis.call('HMGET', KEYS[2], 'id', 'owner', 'state', 'expiresAt')
local o = redis.call('HMGET', KEYS[3], 'id', 'owner', 'state', 'expiresAt', 'properties', 'constraints')
if d[3] ~= 'active' or tonumber(d[4]) <= now or o[3] ~= 'active' or tonumber(o[4]) <= now then return -1 end
redis.call('HSET', KEYS[1], 'id', ARGV[1], 'demandId', d[1], 'offerId', o[1], 'requestorId', d[2], 'providerId', o[2],
  'issuer', 'provider', 'properties', o[5], 'constraints', o[6], 'state', 'Initial', 'timestamp', ARGV[3],
  'prevId', '', 'counterId', '', 'agreementId', '', 'providerKnows', '0', 'reason', '')
local retention = tonumber(ARGV[7])
redis.call('PEXPIREAT', KEYS[1], math.max(tonumber(d[4]), tonumber(o[4])) + retention)
redis.call('RPUSH', KEYS[4], ARGV[4])
redis.call('LTRIM', KEYS[4], -tonumber(ARGV[6]), -1)
redis.call('PEXPIREAT', KEYS[4], tonumber(d[4]) + retention)
redis.call('PUBLISH', ARGV[5], KEYS[4])
return 1
