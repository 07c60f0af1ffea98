-- Claims the debit notes that are due: for each live activity whose note is due, numbers the note and moves the
-- activity's due time one interval on, in one step, so that of API instances sweeping at once exactly one issues
-- each note. Ended or vanished activities leave the schedule (their agreement's final invoice covers them).
-- KEYS: debit notes due zset
-- ARGV: activity key prefix, now ms, most notes to claim
-- Returns {'ok', id, agreement id, note number, created ms, cpu ms, ...} (five values per claimed note).
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[2], 'LIMIT', 0, tonumber(ARGV[3]))
local reply = {'ok'}
for _, id in ipairs(due) do
  local activity = ARGV[1] .. id
  local f = redis.call('HMGET', activity, 'state', 'agreementId', 'createdMs', 'cpuMs', 'debitNoteIntervalMs')
  local interval = tonumber(f[5])
  if not f[1] or f[1] == 'Terminated' or f[1] == 'Unresponsive' or not interval or interval <= 0 then
    redis.call('ZREM', KEYS[1], id)
  else
    local number = redis.call('HINCRBY', activity, 'debitNotes', 1)
    redis.call('ZADD', KEYS[1], tonumber(ARGV[2]) + interval, id)
    for _, value in ipairs({id, f[2], number, f[3], f[4]}) do
      reply[#reply + 1] = value
    end
  end
end
return reply
