-- Registers an invokable service at version 1, owned by the registering provider.
-- KEYS: service hash, provider's active services zset, all active services zset
-- ARGV: service id, provider address, now (ms), definition JSON
-- Returns {'ok'} when created, {'exists'} when the id is taken (nothing changed).
if redis.call('EXISTS', KEYS[1]) == 1 then
  return {'exists'}
end
redis.call('HSET', KEYS[1], 'serviceId', ARGV[1], 'provider', ARGV[2], 'state', 'active', 'version', 1,
  'createdMs', ARGV[3], 'updatedMs', ARGV[3], 'def:1', ARGV[4])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
redis.call('ZADD', KEYS[3], ARGV[3], ARGV[1])
return {'ok'}
