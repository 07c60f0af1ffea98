-- Appends an ExeScript batch to a live activity and queues it for a runner of the activity's provider.
-- KEYS: activity hash, batch hash, provider's activity queue
-- ARGV: batch id, ExeScript text, command count, now ms, queue wake channel
-- Returns {'ok'}, {'notfound'} or {'terminated'}.
local state = redis.call('HGET', KEYS[1], 'state')
if not state then
  return {'notfound'}
end
if state == 'Terminated' or state == 'Unresponsive' then
  return {'terminated'}
end
redis.call('HSET', KEYS[2], 'id', ARGV[1], 'activityId', redis.call('HGET', KEYS[1], 'id'), 'text', ARGV[2],
  'count', ARGV[3], 'createdMs', ARGV[4], 'finished', 0)
redis.call('RPUSH', KEYS[3], ARGV[1])
redis.call('PUBLISH', ARGV[5], KEYS[3])
return {'ok'}
