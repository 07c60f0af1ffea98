--- @include "subscriptionTombstone"
-- subscriptionStatus(key, nowMs) → status, expiresAt: whether a demand/offer record can still negotiate.
-- status is 'active', 'missing', 'unsubscribed' or 'expired' (an ended one: its tombstone); expiresAt (ms) is nil
-- unless there is a record.
local function subscriptionStatus(key, now)
  local state, expiresAt = unpack(redis.call('HMGET', key, 'state', 'expiresAt'))
  if not state then return readTombstone(key, now) or 'missing', nil end
  expiresAt = tonumber(expiresAt)
  if state ~= 'active' then return 'unsubscribed', expiresAt end
  if expiresAt <= now then return 'expired', expiresAt end
  return 'active', expiresAt
end
