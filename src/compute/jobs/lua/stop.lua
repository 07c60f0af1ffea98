-- Records a stop request. A job still waiting (status 1) ends at once; a running job is flagged and its runner,
-- woken through its watch on the job, kills the algorithm and finishes the job itself.
-- KEYS: job hash, active jobs zset, leases zset
-- ARGV: wake channel of the job key, now (epoch seconds text), finished status, its text, reason recorded for a job
--       stopped before it started
-- Returns {'notfound'}, {'ended'} (already terminal), {'flagged'}, {'stopped'} (stopped while queued).
local job = KEYS[1]
local current = redis.call('HMGET', job, 'status', 'dateFinished', 'jobId')
if not current[1] then
  return {'notfound'}
end
if current[2] and current[2] ~= '' then
  return {'ended'}
end
if tonumber(current[1]) == 1 then
  redis.call('HSET', job, 'status', ARGV[3], 'statusText', ARGV[4], 'stopRequested', '1', 'reason', ARGV[5],
    'dateFinished', ARGV[2], 'results', '[]', 'step', 'stopped', 'leaseUntilMs', '')
  redis.call('HINCRBY', job, 'fence', 1)
  redis.call('ZREM', KEYS[2], current[3])
  redis.call('ZREM', KEYS[3], current[3])
  redis.call('PUBLISH', ARGV[1], job)
  return {'stopped'}
end
redis.call('HSET', job, 'stopRequested', '1')
redis.call('PUBLISH', ARGV[1], job)
return {'flagged'}
