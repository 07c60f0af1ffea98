-- Creates an activity on an approved agreement, in state Initialized. A priced activity (debit-note interval > 0)
-- is put on the debit-note schedule, its first note due one interval after creation.
-- KEYS: activity hash, the agreement's activity set, debit notes due zset
-- ARGV: id, agreement id, requestor, provider, now ms, debit-note interval ms (0: none)
-- Returns {'ok'} or {'exists'}.
if redis.call('EXISTS', KEYS[1]) == 1 then
  return {'exists'}
end
redis.call('HSET', KEYS[1], 'id', ARGV[1], 'agreementId', ARGV[2], 'requestorId', ARGV[3], 'providerId', ARGV[4],
  'state', 'Initialized', 'createdMs', ARGV[5], 'runnerId', '', 'running', '', 'fence', 0, 'cpuMs', 0,
  'debitNoteIntervalMs', ARGV[6], 'debitNotes', 0)
redis.call('SADD', KEYS[2], ARGV[1])
if tonumber(ARGV[6]) > 0 then
  redis.call('ZADD', KEYS[3], tonumber(ARGV[5]) + tonumber(ARGV[6]), ARGV[1])
end
return {'ok'}
