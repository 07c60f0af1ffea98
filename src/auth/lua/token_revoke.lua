-- Revokes an auth token: marks its jti (a key that expires with the token, whose wake-up ends the polls it holds),
-- indexes it for instances that load the revoked set, and tells every instance's local revoked set.
-- KEYS: marker (revokedToken), index (revokedTokenIndex)
-- ARGV: jti, exp (unix s), now (unix s), ttl (s), wakeChannel (of the marker), revocationChannel (message: 'jti exp')
-- Returns {'ok', listeners} (instances told) | {'revoked'} when it already was
if not redis.call('SET', KEYS[1], '1', 'EX', ARGV[4], 'NX') then return {'revoked'} end
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
-- Tokens past their expiry are refused by their signature check anyway.
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', '(' .. ARGV[3])
redis.call('PUBLISH', ARGV[5], KEYS[1])
return {'ok', redis.call('PUBLISH', ARGV[6], ARGV[1] .. ' ' .. ARGV[2])}
