-- A counter-proposal, as one check-and-set: only the non-issuer of a proposal of this subscription may answer it, at
-- most once; a Rejected one is restored (restart after rejection); an Accepted one only once its agreement is
-- Rejected, Cancelled or Expired. The strong match was checked by the caller (properties of a proposal never change).
-- KEYS: answered (proposal), proposal (the new one), demand, offer, queue (the recipient's proposal events);
--       tail: the agreement made from the answered proposal, when the caller saw one
-- ARGV: role (the caller's), subscriptionId (of the path; it must be the caller's), caller, seenAgreementId
--       ('' = none), newId, now ms, entry (event JSON), queueChannel, bound (queue length), retention ms; tail: the
--       new record (proposalToHash)
-- Returns {'ok'} or the refusal: notfound | own | retry | countered | offer-missing | offer-unsubscribed |
--   offer-expired | demand-missing
--- @include "subscriptionStatus"
--- @include "enqueueEvent"
local p = redis.call('HMGET', KEYS[1], 'id', 'demandId', 'offerId', 'issuer', 'state', 'prevId', 'counterId',
  'agreementId', 'providerKnows')
local role, newId, now = ARGV[1], ARGV[5], tonumber(ARGV[6])
if not p[1] then return {'notfound'} end
local pathSubscription = role == 'requestor' and p[2] or p[3]
if pathSubscription ~= ARGV[2] or (role == 'provider' and p[9] ~= '1') then return {'notfound'} end
if p[4] == role then return {'own'} end
if p[8] ~= ARGV[4] then return {'retry'} end
if p[7] ~= '' then return {'countered'} end
if p[8] ~= '' then
  local agreementState = KEYS[6] and redis.call('HGET', KEYS[6], 'state')
  if agreementState ~= 'Rejected' and agreementState ~= 'Cancelled' and agreementState ~= 'Expired' then
    return {'countered'}
  end
end
-- The caller's own side is read as the caller's (a counter may come without a read of whose it is beforehand).
local ownKind = role == 'requestor' and 'demand' or 'offer'
local function status(key, kind)
  if kind == ownKind then return ownedSubscriptionStatus(key, now, ARGV[3], kind) end
  return subscriptionStatus(key, now)
end
local offerStatus, offerExpires = status(KEYS[4], 'offer')
if offerStatus ~= 'active' then return {'offer-' .. offerStatus} end
local demandStatus, demandExpires = status(KEYS[3], 'demand')
if demandStatus ~= 'active' then return {'demand-missing'} end

if p[5] == 'Rejected' then
  redis.call('HSET', KEYS[1], 'state', p[6] == '' and 'Initial' or 'Draft')
end
redis.call('HSET', KEYS[1], 'counterId', newId, 'providerKnows', '1')
redis.call('HSET', KEYS[2], unpack(ARGV, 11))
local purgeAt = math.max(demandExpires, offerExpires) + tonumber(ARGV[10])
redis.call('PEXPIREAT', KEYS[2], string.format('%.0f', purgeAt))
redis.call('PEXPIREAT', KEYS[1], string.format('%.0f', purgeAt))
enqueueEvent(KEYS[5], ARGV[7], tonumber(ARGV[9]), purgeAt, ARGV[8], KEYS[5])
return {'ok'}
