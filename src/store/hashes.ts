import path from 'node:path';
import { defineScript, hashOf, outcome, type Scripts } from './scripts';

const readHashesScript = defineScript({
  name: 'store.readHashes',
  file: path.join(__dirname, 'lua', 'read_hashes.lua'),
  keys: [],
  args: [],
  parse: (reply) => (outcome(reply).values as string[][]).map(hashOf),
});

/** The hashes at `keys`, in order, in one round trip and one command ({} for a missing one). */
export function readHashes(scripts: Scripts, keys: string[]): Promise<Array<Record<string, string>>> {
  if (keys.length === 0) return Promise.resolve([]);
  return scripts.call(readHashesScript, {}, {}, { keys });
}
