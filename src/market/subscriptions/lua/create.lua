-- Stores a new demand or offer and appends it to the subscription stream (its position decides matching order).
-- KEYS: record, active (set of its kind), owned (the owner's set of its kind), stream
-- ARGV: id, kind, createdAt ms, expiresAt ms, purgeAt ms (record), oldestStreamId (to keep), streamChannel;
--       tail: the record's field/value pairs as subscriptionToHash renders them (the script adds `seq`)
-- Returns {'ok', seq}
local id, kind, createdAt, expiresAt = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local seq = redis.call('XADD', KEYS[4], 'MINID', '~', ARGV[6], '*', 'op', 'sub', 'id', id, 'kind', kind)
redis.call('HSET', KEYS[1], 'seq', seq, unpack(ARGV, 8))
redis.call('PEXPIREAT', KEYS[1], ARGV[5])
redis.call('ZADD', KEYS[2], expiresAt, id)
redis.call('ZADD', KEYS[3], createdAt, id)
redis.call('PUBLISH', ARGV[7], KEYS[4])
return {'ok', seq}
