-- Records how a webhook attempt went: a final outcome ('delivered' or 'abandoned') is set once and the delivery leaves
-- the due set; a failed attempt is due again at the retry time.
-- KEYS: webhooks due zset, invocation hash
-- ARGV: job id, outcome ('delivered', 'abandoned' or 'retry'), now (ms), retry time (ms)
-- Returns {'ok'}, or {'settled'} when a final outcome was already recorded (nothing changed).
if redis.call('HEXISTS', KEYS[2], 'webhookOutcome') == 1 then
  redis.call('ZREM', KEYS[1], ARGV[1])
  return {'settled'}
end
if ARGV[2] == 'retry' then
  redis.call('ZADD', KEYS[1], ARGV[4], ARGV[1])
else
  redis.call('HSET', KEYS[2], 'webhookOutcome', ARGV[2], 'webhookSettledMs', ARGV[3])
  redis.call('ZREM', KEYS[1], ARGV[1])
end
return {'ok'}
