-- Creates an activity on an approved agreement, in state Initialized.
-- KEYS: activity hash, the agreement's activity set
-- ARGV: id, agreement id, requestor, provider, now ms
-- Returns {'ok'} or {'exists'}.
if redis.call('EXISTS', KEYS[1]) == 1 then
  return {'exists'}
end
redis.call('HSET', KEYS[1], 'id', ARGV[1], 'agreementId', ARGV[2], 'requestorId', ARGV[3], 'providerId', ARGV[4],
  'state', 'Initialized', 'createdMs', ARGV[5], 'runnerId', '', 'running', '', 'fence', 0, 'cpuMs', 0)
redis.call('SADD', KEYS[2], ARGV[1])
return {'ok'}
