-- Tombstones of ended subscriptions: what late calls on one answer ("unsubscribed" / "expired") and whose it was.
-- Kept compact, not as a key each: one field per subscription (12 hex digits of its id) in small hashes per time
-- window and shard, which Redis stores as listpacks; the value is a status letter, a kind letter and the owner's
-- first 10 hex digits. A tombstone lives one to two windows. The hash names are Keys.subscriptionTombstones(window,
-- shard), derived here from the record key `<prefix>sub:<97-character id>`.
local TOMBSTONE_WINDOW_MS = 300000
local TOMBSTONE_SHARDS = 1024

local function tombstoneSlot(recordKey, window)
  local id = string.sub(recordKey, -97)
  local prefix = string.sub(recordKey, 1, #recordKey - 97 - 4)
  local shard = tonumber(string.sub(id, 1, 3), 16) % TOMBSTONE_SHARDS
  return prefix .. 'subs:ended:' .. string.format('%.0f', window) .. ':' .. shard, string.sub(id, 4, 15)
end

-- writeTombstone(recordKey, nowMs, status 'unsubscribed' | 'expired', kind, owner)
local function writeTombstone(recordKey, now, status, kind, owner)
  local window = math.floor(now / TOMBSTONE_WINDOW_MS)
  local key, field = tombstoneSlot(recordKey, window)
  redis.call('HSET', key, field, string.sub(status, 1, 1) .. string.sub(kind, 1, 1) .. string.sub(owner, 3, 12))
  redis.call('PEXPIREAT', key, string.format('%.0f', (window + 2) * TOMBSTONE_WINDOW_MS))
end

-- readTombstone(recordKey, nowMs) → status ('unsubscribed' | 'expired'), kind, ownerPrefix; nil when there is none
local function readTombstone(recordKey, now)
  local window = math.floor(now / TOMBSTONE_WINDOW_MS)
  for w = window, window - 1, -1 do
    local key, field = tombstoneSlot(recordKey, w)
    local value = redis.call('HGET', key, field)
    if value then
      local status = string.sub(value, 1, 1) == 'u' and 'unsubscribed' or 'expired'
      return status, string.sub(value, 2, 2) == 'o' and 'offer' or 'demand', string.sub(value, 3)
    end
  end
  return nil
end

-- Whether `owner` (a lower-case 0x address) is the one a tombstone's ownerPrefix names.
local function tombstoneOwnedBy(ownerPrefix, owner)
  return ownerPrefix == string.sub(owner, 3, 12)
end
