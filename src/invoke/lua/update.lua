-- Stores a new version of a service's definition; earlier versions stay, so running jobs keep theirs.
-- KEYS: service hash
-- ARGV: caller address, now (ms), definition JSON
-- Returns {'ok', version}, {'notfound'}, {'forbidden'} (not the provider) or {'retired'}; refusals change nothing.
local record = redis.call('HMGET', KEYS[1], 'provider', 'state')
if not record[1] then
  return {'notfound'}
end
if record[1] ~= ARGV[1] then
  return {'forbidden'}
end
if record[2] == 'retired' then
  return {'retired'}
end
local version = redis.call('HINCRBY', KEYS[1], 'version', 1)
redis.call('HSET', KEYS[1], 'def:' .. version, ARGV[3], 'updatedMs', ARGV[2])
return {'ok', version}
