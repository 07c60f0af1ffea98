-- enqueueEvent(queue, entry, bound, purgeAtMs, channel, wakeKey): appends one event entry to a subscription's queue,
-- keeps the newest `bound` entries, lets the queue expire with what it belongs to (purgeAtMs > 0), and wakes the
-- collects waiting on `wakeKey` through its wake channel.
local function enqueueEvent(queue, entry, bound, purgeAt, channel, wakeKey)
  redis.call('RPUSH', queue, entry)
  redis.call('LTRIM', queue, -bound, -1)
  if purgeAt and purgeAt > 0 then redis.call('PEXPIREAT', queue, string.format('%.0f', purgeAt)) end
  redis.call('PUBLISH', channel, wakeKey)
end
