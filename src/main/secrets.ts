import fs from 'node:fs';
import path from 'node:path';

/**
 * A secret kept in a file under the data dir, generated on first use (`bourse dev`'s auth secret and runner key), so
 * it survives restarts. Returns the file's first line and whether it was just created.
 */
export function secretFile(dir: string, name: string, generate: () => string): { value: string; created: boolean } {
  const file = path.join(dir, name);
  let created = false;
  if (!fs.existsSync(file)) {
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(file, generate(), { mode: 0o600 });
    created = true;
  }
  return { value: fs.readFileSync(file, 'utf8').split('\n')[0].trim(), created };
}
