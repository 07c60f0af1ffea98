-- withHash(reply, key): appends every field and value of the hash at `key` to `reply` and returns it, for claims
-- that answer the record they hand out (parsed on the TypeScript side with the record's codec).
local function withHash(reply, key)
  local all = redis.call('HGETALL', key)
  for i = 1, #all do
    reply[#reply + 1] = all[i]
  end
  return reply
end
