-- Retires a service: its metadata stays readable, it leaves the listings, new invocations are refused.
-- Retiring twice is harmless.
-- KEYS: service hash, provider's active services zset, all active services zset
-- ARGV: caller address, service id, now (ms)
-- Returns {'ok'}, {'notfound'} or {'forbidden'} (not the provider; nothing changed).
local record = redis.call('HMGET', KEYS[1], 'provider', 'state')
if not record[1] then
  return {'notfound'}
end
if record[1] ~= ARGV[1] then
  return {'forbidden'}
end
if record[2] ~= 'retired' then
  redis.call('HSET', KEYS[1], 'state', 'retired', 'updatedMs', ARGV[3])
end
redis.call('ZREM', KEYS[2], ARGV[2])
redis.call('ZREM', KEYS[3], ARGV[2])
return {'ok'}
