-- Rejects a proposal as one check-and-set: only its non-issuer, on the subscription it belongs to. Marks it Rejected
-- (keeping the reason) and queues a ProposalRejectedEvent for the issuer, unless the provider never saw it (the
-- requestor rejecting an Initial proposal it has not countered).
-- KEYS[1] proposal, [2] demand record, [3] offer record, [4] issuer's notice queue
-- ARGV[1] caller role, [2] subscription id of the path, [3] reason JSON or '', [4] now ms, [5] event JSON,
--     [6] wake channel of the issuer's subscription, [7] queue bound, [8] the key that channel wakes
local p = redis.call('HMGET', KEYS[1], 'id', 'demandId', 'offerId', 'issuer', 'state', 'providerKnows')
local role = ARGV[1]
if not p[1] then return 'notfound' end
local pathSub = role == 'requestor' and p[2] or p[3]
if pathSub ~= ARGV[2] or (role == 'provider' and p[6] ~= '1') then return 'notfound' end
if p[4] == role then return 'own' end
if p[5] == 'Accepted' then return 'accepted' end
local now = tonumber(ARGV[4])
local o = redis.call('HMGET', KEYS[3], 'state', 'expiresAt')
if not o[1] then return 'offer-missing' end
if o[1] ~= 'active' then return 'offer-unsubscribed' end
if tonumber(o[2]) <= now then return 'offer-expired' end
local d = redis.call('HMGET', KEYS[2], 'state', 'expiresAt')
if d[1] ~= 'active' or tonumber(d[2]) <= now then return 'demand-missing' end

redis.call('HSET', KEYS[1], 'state', 'Rejected', 'reason', ARGV[3])
if p[6] == '1' then
  redis.call('RPUSH', KEYS[4], ARGV[5])
  redis.call('LTRIM', KEYS[4], -tonumber(ARGV[7]), -1)
  local purgeAt = redis.call('PEXPIRETIME', KEYS[1])
  if purgeAt > 0 then redis.call('PEXPIREAT', KEYS[4], purgeAt) end
  redis.call('PUBLISH', ARGV[6], ARGV[8])
end
return 'ok'
