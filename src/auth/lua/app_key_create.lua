-- Creates an app key under a name unique per address, atomically, so two racing creates of one name make one key.
-- KEYS: 1 the owner's app keys (hash name -> key), 2 the new key's record
-- ARGV: 1 name, 2 key, 3 owner address (lower case), 4 creation time (ms), 5 most keys an address may hold
-- Returns {'ok'} | {'exists'} (the name is taken) | {'full'} (the address holds the most keys allowed)
local owner, record = KEYS[1], KEYS[2]
local name, key, address, createdMs, limit = ARGV[1], ARGV[2], ARGV[3], ARGV[4], tonumber(ARGV[5])
if redis.call('HEXISTS', owner, name) == 1 then return {'exists'} end
if redis.call('HLEN', owner) >= limit then return {'full'} end
redis.call('HSET', owner, name, key)
redis.call('HSET', record, 'address', address, 'name', name, 'createdMs', createdMs)
return {'ok'}
