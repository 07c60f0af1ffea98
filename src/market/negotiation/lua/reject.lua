-- Rejects a proposal as one check-and-set: only its non-issuer, on the subscription it belongs to. Marks it Rejected
-- (keeping the reason) and queues a ProposalRejectedEvent for the issuer, unless the provider never saw it (the
-- requestor rejecting an Initial proposal it has not countered).
-- KEYS: proposal, demand, offer, notices (the issuer's), queue (the issuer's proposal events: what wakes its collects)
-- ARGV: role (the caller's), subscriptionId (of the path), reason (JSON or ''), now ms, entry (event JSON),
--       queueChannel, bound (queue length)
-- Returns {'ok'} or the refusal: notfound | own | accepted | offer-missing | offer-unsubscribed | offer-expired |
--   demand-missing
--- @include "subscriptionStatus"
--- @include "enqueueEvent"
local p = redis.call('HMGET', KEYS[1], 'id', 'demandId', 'offerId', 'issuer', 'state', 'providerKnows')
local role, now = ARGV[1], tonumber(ARGV[4])
if not p[1] then return {'notfound'} end
local pathSubscription = role == 'requestor' and p[2] or p[3]
if pathSubscription ~= ARGV[2] or (role == 'provider' and p[6] ~= '1') then return {'notfound'} end
if p[4] == role then return {'own'} end
if p[5] == 'Accepted' then return {'accepted'} end
local offerStatus = subscriptionStatus(KEYS[3], now)
if offerStatus ~= 'active' then return {'offer-' .. offerStatus} end
if subscriptionStatus(KEYS[2], now) ~= 'active' then return {'demand-missing'} end

redis.call('HSET', KEYS[1], 'state', 'Rejected', 'reason', ARGV[3])
if p[6] == '1' then
  enqueueEvent(KEYS[4], ARGV[5], tonumber(ARGV[7]), redis.call('PEXPIRETIME', KEYS[1]), ARGV[6], KEYS[5])
end
return {'ok'}
