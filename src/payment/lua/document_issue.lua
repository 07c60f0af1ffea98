-- Issues an invoice or a debit note once: stores the document, indexes it for both parties and appends the
-- recipient's "...ReceivedEvent". Issuing the same document id again (a retried or racing issuance) changes nothing.
-- KEYS: 1 document, 2 recipient's event log, 3 recipient's event clock, 4 recipient's document index,
--       5 issuer's document index
-- ARGV: 1 wake channel prefix, 2 now (µs), 3 retention (ms), 4 event JSON without eventDate, 5 recipient's
--       appSessionId, 6 document id, 7 creation time (ms); then the document's fields as name, value pairs
-- Returns {'ok'} | {'exists'}
--- @include "event-log"
local doc, recipientLog, recipientClock, recipientIndex, issuerIndex = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local wakePrefix, nowUs, retentionMs = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local event, session, id, createdMs = ARGV[4], ARGV[5], ARGV[6], ARGV[7]
if redis.call('EXISTS', doc) == 1 then return {'exists'} end
local fields = {}
for i = 8, #ARGV do fields[#fields + 1] = ARGV[i] end
redis.call('HSET', doc, unpack(fields))
redis.call('PEXPIRE', doc, retentionMs)
local oldest = string.format('(%.0f', tonumber(createdMs) - retentionMs)
for _, index in ipairs({recipientIndex, issuerIndex}) do
  redis.call('ZADD', index, createdMs, id)
  redis.call('ZREMRANGEBYSCORE', index, '-inf', oldest)
  redis.call('PEXPIRE', index, retentionMs)
end
append_event(recipientLog, recipientClock, session, event, nowUs, retentionMs, wakePrefix)
return {'ok'}
