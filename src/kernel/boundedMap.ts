/**
 * Sets `key` and, once `map` holds more than `capacity` entries, forgets the oldest: a Map iterates in insertion
 * order, so its first key is the one set longest ago. The bound of every per-instance cache.
 */
export function setBounded<K, V>(map: Map<K, V>, key: K, value: V, capacity: number): void {
  map.set(key, value);
  if (map.size > capacity) map.delete(map.keys().next().value as K);
}
