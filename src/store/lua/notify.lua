-- Wakes every waiter on KEYS[1..n]: publishes each key's name on its wake channel.
-- ARGV[1] = wake channel prefix. Used where a plain PUBLISH would need one round trip per key.
for i = 1, #KEYS do
  redis.call('PUBLISH', ARGV[1] .. KEYS[i], KEYS[i])
end
return #KEYS
