-- Ends a claim: its holder handed the job back, or (the API's stall check) its lease lapsed. The job goes back to
-- the front of its provider's queue, or fails with the reason. Either way the fence grows, so the old holder's
-- reports are refused from now on.
-- KEYS: job hash, leases zset, provider queue, active jobs zset
-- ARGV: fencing token of the claim, now ms, mode ('requeue', 'lost' = requeue counting a lost holder, 'fail'),
--       '1' when only a lapsed lease may be released, failure status, its text, reason, now (epoch seconds text),
--       wake channel of the job key, wake channel of the queue
-- Returns {'ok', mode}, {'notfound'}, {'ended'}, {'moved'} (another claim), {'alive'} (the lease was renewed).
local job = KEYS[1]
local f = redis.call('HMGET', job, 'fence', 'dateFinished', 'leaseUntilMs', 'jobId')
if not f[4] then
  return {'notfound'}
end
if f[2] and f[2] ~= '' then
  redis.call('ZREM', KEYS[2], f[4])
  return {'ended'}
end
if f[1] ~= ARGV[1] or not f[3] or f[3] == '' then
  return {'moved'}
end
if ARGV[4] == '1' and tonumber(f[3]) > tonumber(ARGV[2]) then
  return {'alive'}
end
redis.call('HINCRBY', job, 'fence', 1)
redis.call('HSET', job, 'leaseUntilMs', '')
redis.call('ZREM', KEYS[2], f[4])
if ARGV[3] == 'fail' then
  redis.call('HSET', job, 'status', ARGV[5], 'statusText', ARGV[6], 'reason', ARGV[7], 'dateFinished', ARGV[8])
  redis.call('ZREM', KEYS[4], f[4])
else
  if ARGV[3] == 'lost' then
    redis.call('HINCRBY', job, 'lost', 1)
  end
  redis.call('RPUSH', KEYS[3], f[4])
  redis.call('PUBLISH', ARGV[10], KEYS[3])
end
redis.call('PUBLISH', ARGV[9], job)
return {'ok', ARGV[3]}
