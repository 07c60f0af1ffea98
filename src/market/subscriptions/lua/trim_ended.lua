-- Deletes the 'end' entries of the subscription stream older than the grace (their 'sub' entries went when the
-- subscriptions ended, see end.lua): once every matcher has read an 'end' entry it concerns no one. Redis frees a
-- stream node once all its entries are deleted, so ended subscriptions stop costing stream memory. Walks the stream
-- from a shared cursor, so the instances running this share the work.
-- KEYS: stream, cursor (last entry looked at)
-- ARGV: upTo (stream id: entries after it are kept), count (most entries looked at)
-- Returns {'ok', looked at, deleted}
local from = redis.call('GET', KEYS[2])
local entries = redis.call('XRANGE', KEYS[1], from and ('(' .. from) or '-', ARGV[1], 'COUNT', ARGV[2])
local deleted = 0
for _, entry in ipairs(entries) do
  local fields = entry[2]
  for i = 1, #fields, 2 do
    if fields[i] == 'op' then
      if fields[i + 1] == 'end' then deleted = deleted + redis.call('XDEL', KEYS[1], entry[1]) end
      break
    end
  end
end
if #entries > 0 then redis.call('SET', KEYS[2], entries[#entries][1]) end
return {'ok', #entries, deleted}
