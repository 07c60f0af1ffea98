-- Settles one delivery of collect.lua once its response is done: 'written' (handed to the client; the subscription's
-- next collect acknowledges it) or 'returned' (the client went away first: its events go back to the front of their
-- queues at once, and waiting collects are woken).
-- KEYS: inflight, notices, queue (proposal events; also the wake key of the subscription's collects)
-- ARGV: deliveryId, outcome ('written' | 'returned'), queueChannel
-- Returns {'ok'} or {'notfound'} (already settled by a collect after its lease, or the subscription ended)
--- @include "requeueDelivery"
local text = redis.call('HGET', KEYS[1], ARGV[1])
if not text then return {'notfound'} end
local delivery = cjson.decode(text)
if ARGV[2] == 'written' then
  delivery.written = true
  redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(delivery))
else
  requeueDelivery(delivery, KEYS[2], KEYS[3])
  redis.call('HDEL', KEYS[1], ARGV[1])
  redis.call('PUBLISH', ARGV[3], KEYS[3])
end
return {'ok'}
