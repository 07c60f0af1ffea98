-- A matcher instance stops: departs at once with its exact progress, so the others replay only what it had not
-- matched yet.
-- KEYS: members, progress, orphaned, stream
-- ARGV: member, progress
-- Returns {'ok', view entry id}, or {'gone'} when it was already departed.
--- @include "matcherDepart"
local member, progress = ARGV[1], ARGV[2]
if not redis.call('ZSCORE', KEYS[1], member) then return {'gone'} end
local known = redis.call('HGET', KEYS[2], member)
if known and streamIdLess(progress, known) then progress = known end
return {'ok', depart(KEYS[1], KEYS[2], KEYS[3], KEYS[4], member, progress)}
