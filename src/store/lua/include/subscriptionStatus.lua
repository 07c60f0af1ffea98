-- subscriptionStatus(key, nowMs) → status, expiresAt: whether a demand/offer record can still negotiate.
-- status is 'active', 'missing', 'unsubscribed' or 'expired'; expiresAt (ms) is nil for a missing record.
local function subscriptionStatus(key, now)
  local state, expiresAt = unpack(redis.call('HMGET', key, 'state', 'expiresAt'))
  if not state then return 'missing', nil end
  expiresAt = tonumber(expiresAt)
  if state ~= 'active' then return 'unsubscribed', expiresAt end
  if expiresAt <= now then return 'expired', expiresAt end
  return 'active', expiresAt
end
