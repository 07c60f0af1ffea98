-- Releases (deletes) an allocation of the caller; of two racing releases one wins and the other finds nothing.
-- KEYS: 1 allocation, 2 the owner's allocation index
-- ARGV: 1 caller, 2 allocation id
-- Returns {'ok'} | {'notfound'}
local allocation, index = KEYS[1], KEYS[2]
if redis.call('HGET', allocation, 'owner') ~= ARGV[1] then return {'notfound'} end
redis.call('DEL', allocation)
redis.call('ZREM', index, ARGV[2])
return {'ok'}
