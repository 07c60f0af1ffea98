-- Accepts a signed request's nonce only if it is strictly greater than the address's stored one, and stores it.
-- KEYS: 1 the address's nonce key
-- ARGV: 1 the new nonce (canonical decimal integer, at most 2^53 - 1, so the comparison as Lua numbers is exact)
-- Returns {'ok', new} when accepted | {'stale', stored} when not (stored = "0" for an unknown address)
local stored = redis.call('GET', KEYS[1]) or '0'
if tonumber(ARGV[1]) > tonumber(stored) then
  redis.call('SET', KEYS[1], ARGV[1])
  return {'ok', ARGV[1]}
end
return {'stale', stored}
