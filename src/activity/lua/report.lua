-- A runner's fenced report on the batch it executes (or, with an empty batch id, a renewal of its hold on an idle
-- activity): appends runtime events and command results, moves the activity's state, adds CPU time, ends the batch
-- when done, renews the lease while the activity lives and drops it once it ended. Wakes the batch's readers.
-- KEYS: activity hash, batch hash, batch events list, batch results list, activity leases zset
-- ARGV: activity id, batch id, fence, now ms, lease ms, new state or '', done '1'/'0', cpu ms, event count,
--       batch wake channel, activity wake channel; then the events, then the results (JSON each)
-- Returns {'ok', state} or {'fenced'} (not the holder's current claim, or not its batch).
local f = redis.call('HMGET', KEYS[1], 'state', 'fence', 'running')
if not f[1] then
  return {'fenced'}
end
-- A bare renewal carries no events, results, state or end.
local bare = #ARGV <= 11 and ARGV[7] ~= '1' and ARGV[6] == ''
if f[2] ~= ARGV[3] then
  -- An activity never changes runner (claim.lua), so a bare renewal under an older fence is its holder's own, sent
  -- before it learnt of its next claim: answer the state and change nothing. Anything else is fenced.
  if bare and tonumber(ARGV[3]) < tonumber(f[2]) then
    return {'ok', f[1]}
  end
  return {'fenced'}
end
local batchId = ARGV[2]
if batchId ~= '' and f[3] ~= batchId then
  -- The holder's bare renewal naming a batch that just ended (it crossed the batch's last report) renews its hold on
  -- the now idle activity; anything carrying events, results or an end is not for this batch any more.
  if not bare then
    return {'fenced'}
  end
  batchId = ''
end
local state = f[1]
local eventCount = tonumber(ARGV[9])
for i = 12, #ARGV do
  if i < 12 + eventCount then
    redis.call('RPUSH', KEYS[3], ARGV[i])
  else
    redis.call('RPUSH', KEYS[4], ARGV[i])
  end
end
if ARGV[6] ~= '' and state ~= 'Terminated' then
  state = ARGV[6]
  redis.call('HSET', KEYS[1], 'state', state)
end
redis.call('HINCRBY', KEYS[1], 'cpuMs', tonumber(ARGV[8]))
if ARGV[7] == '1' and batchId ~= '' then
  redis.call('HSET', KEYS[1], 'running', '')
  redis.call('HSET', KEYS[2], 'finished', 1)
end
if state == 'Terminated' and (ARGV[7] == '1' or batchId == '') then
  redis.call('ZREM', KEYS[5], ARGV[1])
else
  redis.call('ZADD', KEYS[5], tonumber(ARGV[4]) + tonumber(ARGV[5]), ARGV[1])
end
if batchId ~= '' then
  redis.call('PUBLISH', ARGV[10], KEYS[2])
end
redis.call('PUBLISH', ARGV[11], KEYS[1])
return {'ok', state}
