-- The watchdog's verdict on an activity whose runner stopped renewing its lease: the batch it was executing ends
-- with an Error result, and the activity is Terminated. Does nothing when the lease was renewed meanwhile.
-- KEYS: activity hash, activity leases zset
-- ARGV: activity id, now ms, batch key prefix, result JSON, reason, wake channel prefix, finished event JSON
--       (both with their command index filled in here)
-- Returns {'ok', batch id or ''} or {'renewed'}.
local lease = redis.call('ZSCORE', KEYS[2], ARGV[1])
if lease and tonumber(lease) > tonumber(ARGV[2]) then
  return {'renewed'}
end
redis.call('ZREM', KEYS[2], ARGV[1])
local running = redis.call('HGET', KEYS[1], 'running')
if not running then
  return {'ok', ''}
end
if running ~= '' then
  local batch = ARGV[3] .. running
  local results = batch .. ':results'
  local result = cjson.decode(ARGV[4])
  result['index'] = redis.call('LLEN', results)
  redis.call('RPUSH', results, cjson.encode(result))
  local event = cjson.decode(ARGV[7])
  event['index'] = result['index']
  event['batch_id'] = running
  redis.call('RPUSH', batch .. ':events', cjson.encode(event))
  redis.call('HSET', batch, 'finished', 1)
  redis.call('PUBLISH', ARGV[6] .. batch, batch)
end
redis.call('HSET', KEYS[1], 'state', 'Terminated', 'running', '', 'terminatedMs', ARGV[2], 'reason', ARGV[5])
redis.call('PUBLISH', ARGV[6] .. KEYS[1], KEYS[1])
return {'ok', running}
