import fs from 'node:fs';
import path from 'node:path';

/**
 * The repository (or image) root: the nearest folder above this file holding package.json. Works from src/ and
 * dist/src/.
 */
function findProjectRoot(from: string): string {
  let dir = from;
  while (!fs.existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`package.json not found above ${from}`);
    dir = parent;
  }
  return dir;
}

export const projectRoot = findProjectRoot(__dirname);
export const schemaDir = path.join(projectRoot, 'schemas');
