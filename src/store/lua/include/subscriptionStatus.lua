--- @include "subscriptionTombstone"
-- subscriptionStatus(key, nowMs) → status, expiresAt: whether a demand/offer record can still negotiate.
-- status is 'active', 'missing', 'unsubscribed' or 'expired' (an ended one: its tombstone); expiresAt (ms) is nil
-- unless there is a record.
local function recordStatus(state, expiresAt, now)
  expiresAt = tonumber(expiresAt)
  if state ~= 'active' then return 'unsubscribed', expiresAt end
  if expiresAt <= now then return 'expired', expiresAt end
  return 'active', expiresAt
end

local function subscriptionStatus(key, now)
  local state, expiresAt = unpack(redis.call('HMGET', key, 'state', 'expiresAt'))
  if not state then return readTombstone(key, now) or 'missing', nil end
  return recordStatus(state, expiresAt, now)
end

-- ownedSubscriptionStatus(key, nowMs, caller, kind): subscriptionStatus for a call on the caller's own subscription of
-- one kind, in one read; someone else's, or one of the other kind, is 'missing', also once it ended (its tombstone).
local function ownedSubscriptionStatus(key, now, caller, kind)
  local owner, recordKind, state, expiresAt =
    unpack(redis.call('HMGET', key, 'owner', 'kind', 'state', 'expiresAt'))
  if not owner then
    local ended, endedKind, endedOwner = readTombstone(key, now)
    if ended and endedKind == kind and tombstoneOwnedBy(endedOwner, caller) then return ended, nil end
    return 'missing', nil
  end
  if owner ~= caller or recordKind ~= kind then return 'missing', nil end
  return recordStatus(state, expiresAt, now)
end
