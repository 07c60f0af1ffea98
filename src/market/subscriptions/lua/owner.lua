-- Whose a subscription is and its kind, also once it ended (from its tombstone): for calls that check ownership first.
-- KEYS: record
-- ARGV: now ms, caller
-- Returns {'ok', kind, 'mine' | 'other'} or {'missing'}
--- @include "subscriptionTombstone"
local owner, kind = unpack(redis.call('HMGET', KEYS[1], 'owner', 'kind'))
if owner then return {'ok', kind, owner == ARGV[2] and 'mine' or 'other'} end
local ended, endedKind, endedOwner = readTombstone(KEYS[1], tonumber(ARGV[1]))
if not ended then return {'missing'} end
return {'ok', endedKind, tombstoneOwnedBy(endedOwner, ARGV[2]) and 'mine' or 'other'}
