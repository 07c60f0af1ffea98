-- Reads several hashes in one call: one command on the connection, where a pipeline of HGETALLs is many (and its
-- client-side objects lived long enough to be promoted, costing the matcher old-space collections).
-- KEYS: the hashes
-- ARGV: (none)
-- Returns {'ok', hash 1 as HGETALL lists it, hash 2, ...} (an empty list for a hash that does not exist)
local reply = {'ok'}
for i, key in ipairs(KEYS) do reply[i + 1] = redis.call('HGETALL', key) end
return reply
