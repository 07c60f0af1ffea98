-- Reads a proposal for a call on one subscription, with whose that subscription is (also once it ended, from its
-- tombstone): both in one round trip, so a counter or reject needs one read before its transition.
-- KEYS: subscription (of the path), proposal
-- ARGV: now ms, caller
-- Returns {'ok', kind, 'mine', proposal hash as HGETALL lists it} | {'ok', kind, 'other'} | {'missing'}
--   (the proposal hash is empty when there is no such proposal; another's subscription gets none)
--- @include "subscriptionTombstone"
local owner, kind = unpack(redis.call('HMGET', KEYS[1], 'owner', 'kind'))
local mine
if owner then
  mine = owner == ARGV[2]
else
  local ended, endedKind, endedOwner = readTombstone(KEYS[1], tonumber(ARGV[1]))
  if not ended then return {'missing'} end
  kind, mine = endedKind, tombstoneOwnedBy(endedOwner, ARGV[2])
end
if not mine then return {'ok', kind, 'other'} end
return {'ok', kind, 'mine', redis.call('HGETALL', KEYS[2])}
