-- Hands the oldest runnable batch of one provider to one runner. A batch is runnable when its activity is live,
-- executes no other batch (batches of an activity run one after another) and is held by no other runner (an
-- activity keeps its workspace on one runner for its lifetime). Claiming raises the activity's fencing token and
-- starts its lease; batches of ended activities are dropped from the queue. A runner with no room for another
-- activity asks for batches of the activities it holds only. An 'end:<id>' entry (destroy.lua) goes to the runner
-- holding that ended activity, and is dropped once no live lease names a holder.
-- KEYS: provider's activity queue, activity leases zset
-- ARGV: activity key prefix, batch key prefix, runner id, now ms, lease ms, '1' for held activities only
-- Returns {'ok', fence, batch id, text, activity field, value, ...}, {'ended', activity id} or {'empty'}.
--- @include "withHash"
local queued = redis.call('LRANGE', KEYS[1], 0, 199)
for _, batchId in ipairs(queued) do
  local ended = string.match(batchId, '^end:(.+)$')
  if ended then
    local holder = redis.call('HGET', ARGV[1] .. ended, 'runnerId')
    if holder == ARGV[3] then
      redis.call('LREM', KEYS[1], 1, batchId)
      return {'ended', ended}
    elseif not holder or holder == '' or not redis.call('ZSCORE', KEYS[2], ended) then
      redis.call('LREM', KEYS[1], 1, batchId)
    end
  else
    local batch = ARGV[2] .. batchId
    local activityId = redis.call('HGET', batch, 'activityId')
    local activity = activityId and (ARGV[1] .. activityId)
    local f = activity and redis.call('HMGET', activity, 'state', 'runnerId', 'running') or {}
    if not f[1] or f[1] == 'Terminated' or f[1] == 'Unresponsive' then
      redis.call('LREM', KEYS[1], 1, batchId)
    elseif f[3] == '' and (f[2] == ARGV[3] or (f[2] == '' and ARGV[6] ~= '1')) then
      redis.call('LREM', KEYS[1], 1, batchId)
      local fence = redis.call('HINCRBY', activity, 'fence', 1)
      redis.call('HSET', activity, 'runnerId', ARGV[3], 'running', batchId)
      redis.call('ZADD', KEYS[2], tonumber(ARGV[4]) + tonumber(ARGV[5]), activityId)
      return withHash({'ok', fence, batchId, redis.call('HGET', batch, 'text')}, activity)
    end
  end
end
return {'empty'}
