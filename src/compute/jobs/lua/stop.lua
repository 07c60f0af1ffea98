-- Records a stop request. A job still waiting (status 1) ends at once; a running job is flagged and its
-- runner, woken on the job key, kills the algorithm and finishes the job itself.
-- KEYS[1] job hash, KEYS[2] active jobs zset
-- ARGV[1] wake channel of the job key, ARGV[2] now (epoch seconds text), ARGV[3] finished status,
-- ARGV[4] its text, ARGV[5] reason recorded for a job stopped before it started
-- Returns -1 (no such job), 0 (already terminal), 1 (flagged), 2 (stopped while queued).
local job = KEYS[1]
local current = redis.call('HMGET', job, 'status', 'dateFinished', 'jobId')
if not current[1] then
  return -1
end
if current[2] and current[2] ~= '' then
  return 0
end
if tonumber(current[1]) == 1 then
  redis.call('HSET', job, 'status', ARGV[3], 'statusText', ARGV[4], 'stopRequested', '1', 'reason', ARGV[5],
    'dateFinished', ARGV[2], 'results', '[]', 'step', 'stopped')
  redis.call('ZREM', KEYS[2], current[3])
  redis.call('PUBLISH', ARGV[1], job)
  return 2
end
redis.call('HSET', job, 'stopRequested', '1')
redis.call('PUBLISH', ARGV[1], job)
return 1
