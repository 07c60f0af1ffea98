-- Takes up to ARGV[1] negotiation events of a live subscription: notices (rejections, agreements) first, then proposals.
-- What is returned is removed, so two concurrent collects never receive the same event.
-- KEYS[1] subscription record, [2] notice queue, [3] proposal event queue; ARGV[1] max events, [2] now ms
-- Returns {'ok', notices, proposals} or {'missing'|'unsubscribed'|'expired'}.
local state, expiresAt = unpack(redis.call('HMGET', KEYS[1], 'state', 'expiresAt'))
if not state then return { 'missing' } end
if state ~= 'active' then return { 'unsubscribed' } end
if tonumber(expiresAt) <= tonumber(ARGV[2]) then return { 'expired' } end
local max = tonumber(ARGV[1])
local notices = redis.call('LPOP', KEYS[2], max) or {}
local proposals = {}
if #notices < max then proposals = redis.call('LPOP', KEYS[3], max - #notices) or {} end
return { 'ok', notices, proposals }
