-- Gives a delivery of collect.lua back when its response was not written out (the client went away first): its
-- events go back to the front of their queues at once, and waiting collects are woken. (A written one is
-- acknowledged instead: acknowledge.lua, or the subscription's next collect.)
-- KEYS: inflight, notices, queue (proposal events; also the wake key of the subscription's collects)
-- ARGV: deliveryId, queueChannel
-- Returns {'ok'} or {'notfound'} (already put back by a collect after its lease, or the subscription ended)
--- @include "requeueDelivery"
local text = redis.call('HGET', KEYS[1], ARGV[1])
if not text then return {'notfound'} end
requeueDelivery(cjson.decode(text), KEYS[2], KEYS[3])
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('PUBLISH', ARGV[2], KEYS[3])
return {'ok'}
