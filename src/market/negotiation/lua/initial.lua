-- Creates the Initial proposal of a matching demand/offer pair at most once (its id is derived from the pair), and
-- queues exactly one ProposalEvent on the demand. Both subscriptions must still be active.
-- KEYS: proposal, demand, offer, queue (the demand's proposal events)
-- ARGV: now ms, entry (event JSON), queueChannel, bound (queue length), retention ms (after the subscriptions
--       expire); tail: the record's own fields (proposalToHash); the fields INITIAL_FROM_SUBSCRIPTIONS names are
--       copied here from the demand and offer records
-- Returns {'ok'} when created, {'exists'} when it already was, {'inactive'} when a subscription no longer is active.
--- @include "subscriptionStatus"
--- @include "enqueueEvent"
if redis.call('EXISTS', KEYS[1]) == 1 then return {'exists'} end
local now = tonumber(ARGV[1])
local demandStatus, demandExpires = subscriptionStatus(KEYS[2], now)
local offerStatus, offerExpires = subscriptionStatus(KEYS[3], now)
if demandStatus ~= 'active' or offerStatus ~= 'active' then return {'inactive'} end
local d = redis.call('HMGET', KEYS[2], 'id', 'owner')
local o = redis.call('HMGET', KEYS[3], 'id', 'owner', 'properties', 'constraints')
redis.call('HSET', KEYS[1], 'demandId', d[1], 'offerId', o[1], 'requestorId', d[2], 'providerId', o[2],
  'properties', o[3], 'constraints', o[4], unpack(ARGV, 6))
local retention = tonumber(ARGV[5])
redis.call('PEXPIREAT', KEYS[1], string.format('%.0f', math.max(demandExpires, offerExpires) + retention))
enqueueEvent(KEYS[4], ARGV[2], tonumber(ARGV[4]), demandExpires + retention, ARGV[3], KEYS[4])
return {'ok'}
