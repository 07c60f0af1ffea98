-- Drops one app key of an address: its record and its name. Of two racing drops, one wins and one finds nothing.
-- KEYS: 1 the owner's app keys (hash name -> key), 2 the key's record
-- ARGV: 1 name, 2 key
-- Returns {'ok'} | {'notfound'} (the name no longer maps to this key)
local owner, record = KEYS[1], KEYS[2]
local name, key = ARGV[1], ARGV[2]
if redis.call('HGET', owner, name) ~= key then return {'notfound'} end
redis.call('HDEL', owner, name)
redis.call('DEL', record)
return {'ok'}
