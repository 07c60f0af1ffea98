-- Amends an allocation of the caller: a new budget (never below what is already booked on it) and/or timeout.
-- Atomic with acceptances booking on the same allocation.
-- KEYS: 1 allocation
-- ARGV: 1 caller, 2 new total (units) or '', 3 new timeout (RFC 3339) or '', 4 new expiry (unix ms) or ''
-- Returns {'ok'} | {'notfound'} | {'belowspent', spent units}
local allocation = KEYS[1]
local caller, total, timeout, expireAtMs = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local a = redis.call('HMGET', allocation, 'owner', 'spentUnits')
if not a[1] or a[1] ~= caller then return {'notfound'} end
if total ~= '' then
  if tonumber(total) < tonumber(a[2]) then return {'belowspent', a[2]} end
  redis.call('HSET', allocation, 'totalUnits', total)
end
if timeout ~= '' then redis.call('HSET', allocation, 'timeout', timeout) end
if expireAtMs ~= '' then redis.call('PEXPIREAT', allocation, expireAtMs) end
return {'ok'}
