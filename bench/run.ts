/**
 * `npm run bench -- <name> [<name> ...] [--flags]` runs bench/<name>.ts (each exports `run()`, which may read the
 * flags from process.argv, and resolves to its figures); no name lists them. With `--json`, each bench's last line
 * is one JSON object of its figures and same-run baselines (see `jsonLine` in support.ts).
 * Benchmarks print ratios against a baseline measured in the same run; they are never test assertions.
 */
import fs from 'node:fs';
import path from 'node:path';
import { type Figures, jsonLine, wantsJson } from './support';

async function main(): Promise<void> {
  const available = fs
    .readdirSync(__dirname)
    .filter((f) => f.endsWith('.ts') && !['run.ts', 'support.ts'].includes(f))
    .map((f) => path.basename(f, '.ts'))
    .sort();
  const wanted = process.argv.slice(2).filter((arg) => !arg.startsWith('--'));
  if (wanted.length === 0) {
    console.log(`usage: npm run bench -- <name>\navailable: ${available.join(', ')}`);
    return;
  }
  for (const name of wanted) {
    if (!available.includes(name)) throw new Error(`no benchmark "${name}"; available: ${available.join(', ')}`);
    console.log(`\n=== bench: ${name} ===`);
    const mod = (await import(path.join(__dirname, `${name}.ts`))) as { run: () => Promise<Figures> };
    const figures = await mod.run();
    if (wantsJson()) console.log(jsonLine(name, figures));
  }
}

main().then(
  () => process.exit(0),
  (err: Error) => {
    console.error(err.stack ?? err.message);
    process.exit(1);
  },
);
