-- requeueDelivery(delivery, noticesKey, queueKey): puts the events of an unacknowledged negotiation delivery
-- ({notices = {...}, proposals = {...}}) back at the front of their queues, in their original order.
local function requeueDelivery(delivery, noticesKey, queueKey)
  for i = #delivery.proposals, 1, -1 do redis.call('LPUSH', queueKey, delivery.proposals[i]) end
  for i = #delivery.notices, 1, -1 do redis.call('LPUSH', noticesKey, delivery.notices[i]) end
end
