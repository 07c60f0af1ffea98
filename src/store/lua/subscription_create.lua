-- Stores a new demand or offer and appends it to the subscription stream (its position decides matching order).
-- KEYS[1] record, KEYS[2] active set of its kind, KEYS[3] owner's set of its kind, KEYS[4] subscription stream
-- ARGV[1] id, [2] kind, [3] owner, [4] properties (flat JSON), [5] constraints, [6] createdAt ms, [7] expiresAt ms,
--     [8] record purge time ms, [9] oldest stream id to keep, [10] wake channel of the stream
local seq = redis.call('XADD', KEYS[4], 'MINID', '~', ARGV[9], '*', 'op', 'sub', 'id', ARGV[1], 'kind', ARGV[2])
redis.call('HSET', KEYS[1], 'id', ARGV[1], 'kind', ARGV[2], 'owner', ARGV[3], 'properties', ARGV[4],
  'constraints', ARGV[5], 'createdAt', ARGV[6], 'expiresAt', ARGV[7], 'state', 'active', 'seq', seq)
redis.call('PEXPIREAT', KEYS[1], ARGV[8])
redis.call('ZADD', KEYS[2], ARGV[7], ARGV[1])
redis.call('ZADD', KEYS[3], ARGV[6], ARGV[1])
redis.call('PUBLISH', ARGV[10], KEYS[4])
return seq
