-- Delivers up to `max` negotiation events of a live subscription, at least once: notices (rejections, agreements)
-- first, then proposals. What it returns is recorded as delivery `deliveryId` in the inflight hash until its
-- response is written out (then acknowledged: dropped) or given back (settle.lua). First it drops the deliveries
-- acknowledged in its tail, and puts back every earlier one whose lease has passed unacknowledged (its instance died
-- mid-response) at the front of its queues, to be delivered again now.
-- KEYS: subscription, notices, queue (proposal events), inflight
-- ARGV: max, now ms, leaseMs, deliveryId, retention ms (after the subscription expires), caller, kind,
--       proposal key prefix (keys.proposal('')); tail: ids of this subscription's deliveries whose responses were
--       written out since (acknowledged here, instead of in a call of their own: see acknowledge.lua)
-- Returns {'ok', notices, proposals, nextLeaseMs, expiresAt, records} (nextLeaseMs: the earliest lease still running,
--   0 = none; records: each proposal event's proposal hash as HGETALL lists it, read here so rendering needs no
--   second round trip) or {'missing'} (also: not the caller's, or not of that kind) | {'unsubscribed'} | {'expired'}
--- @include "subscriptionStatus"
--- @include "requeueDelivery"
local max, now, leaseMs, deliveryId = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]
if #ARGV > 8 then redis.call('HDEL', KEYS[4], unpack(ARGV, 9)) end
local status, expiresAt = ownedSubscriptionStatus(KEYS[1], now, ARGV[6], ARGV[7])
if status ~= 'active' then return {status} end

local nextLease = 0
local deliveries = redis.call('HGETALL', KEYS[4])
for i = 1, #deliveries, 2 do
  local delivery = cjson.decode(deliveries[i + 1])
  if delivery.lease <= now then
    requeueDelivery(delivery, KEYS[2], KEYS[3])
    redis.call('HDEL', KEYS[4], deliveries[i])
  elseif nextLease == 0 or delivery.lease < nextLease then
    nextLease = delivery.lease
  end
end

local notices = redis.call('LPOP', KEYS[2], max) or {}
local proposals = {}
if #notices < max then proposals = redis.call('LPOP', KEYS[3], max - #notices) or {} end
if #notices + #proposals > 0 then
  local delivery = { lease = now + leaseMs, notices = notices, proposals = proposals }
  redis.call('HSET', KEYS[4], deliveryId, cjson.encode(delivery))
  redis.call('PEXPIREAT', KEYS[4], string.format('%.0f', expiresAt + tonumber(ARGV[5])))
end
local records = {}
for i, text in ipairs(proposals) do
  local proposalId = cjson.decode(text).proposalId
  records[i] = type(proposalId) == 'string' and redis.call('HGETALL', ARGV[8] .. proposalId) or {}
end
return {'ok', notices, proposals, string.format('%.0f', nextLease), string.format('%.0f', expiresAt), records}
