-- The recipient accepts or rejects an invoice or debit note, atomically: only from RECEIVED, an acceptance books
-- the amount against one of the recipient's allocations of the document's platform (never beyond its budget),
-- and the issuer gets one "...AcceptedEvent" or "...RejectedEvent". Repeating the same decision is a no-op.
-- Debit notes state the total due for their activity so far and the invoice the total for the agreement, so an
-- acceptance books only what the agreement's earlier acceptances did not: a debit note beyond the activity's last
-- accepted note, the invoice beyond every accepted note; a debit note accepted after the invoice books nothing.
-- KEYS: 1 document, 2 allocation (accept only; any key otherwise), 3 issuer's event log, 4 issuer's event clock,
--       5 the agreement's booked amounts (keys.paymentBooked)
-- ARGV: 1 action 'accept' | 'reject', 2 caller, 3 amount accepted (units), 4 allocation id, 5 wake channel prefix,
--       6 now (µs), 7 retention (ms), 8 event JSON without eventDate, 9 rejection JSON (reject only)
-- Returns {'ok', 'changed' | 'same'} | {'notfound'} | {'illegal', status} | {'amount', units} | {'noallocation'}
--         | {'platform'} | {'funds', remaining units}
--- @include "event-log"
local doc, allocation, issuerLog, issuerClock, booked = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local action, caller, accepted, allocationId = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4]
local wakePrefix, nowUs, retentionMs, event, rejection = ARGV[5], tonumber(ARGV[6]), tonumber(ARGV[7]), ARGV[8], ARGV[9]

local d = redis.call('HMGET', doc, 'id', 'recipientId', 'status', 'amountUnits', 'providerSession', 'paymentPlatform',
  'kind', 'activityId')
if not d[1] or d[2] ~= caller then return {'notfound'} end
local target = action == 'accept' and 'ACCEPTED' or 'REJECTED'
if d[3] == target then return {'ok', 'same'} end
if d[3] ~= 'RECEIVED' then return {'illegal', d[3]} end

if action == 'accept' then
  local amount = tonumber(d[4])
  if accepted ~= amount then return {'amount', d[4]} end
  local a = redis.call('HMGET', allocation, 'owner', 'paymentPlatform', 'totalUnits', 'spentUnits')
  if not a[1] or a[1] ~= caller then return {'noallocation'} end
  if a[2] ~= d[6] then return {'platform'} end
  local activityField = 'activity:' .. (d[8] or '')
  local before = tonumber(redis.call('HGET', booked, activityField) or '0')
  local charge
  if d[7] == 'debitNote' then
    charge = redis.call('HEXISTS', booked, 'invoiced') == 1 and 0 or math.max(0, amount - before)
  else
    charge = math.max(0, amount - tonumber(redis.call('HGET', booked, 'total') or '0'))
  end
  local remaining = tonumber(a[3]) - tonumber(a[4])
  if remaining < charge then return {'funds', string.format('%.0f', remaining)} end
  if d[7] == 'debitNote' then
    redis.call('HSET', booked, activityField, math.max(before, amount))
  else
    redis.call('HSET', booked, 'invoiced', 1)
  end
  redis.call('HINCRBY', booked, 'total', charge)
  redis.call('PEXPIRE', booked, retentionMs)
  redis.call('HINCRBY', allocation, 'spentUnits', charge)
  redis.call('HSET', doc, 'status', target, 'allocationId', allocationId)
else
  redis.call('HSET', doc, 'status', target, 'rejection', rejection)
end
append_event(issuerLog, issuerClock, d[5] or '', event, nowUs, retentionMs, wakePrefix)
return {'ok', 'changed'}
