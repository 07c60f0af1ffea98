// Fails when package-lock.json lacks an entry for any optional dependency of a locked package (npm writes such a
// lock on a registry mirror that does not serve every platform package; `npm ci` then refuses it where the registry
// serves them all). A complete lock installs with `npm ci` on both kinds of registry.
const lock = require('../package-lock.json');

const packages = lock.packages;
const missing = [];
for (const [location, entry] of Object.entries(packages)) {
  for (const name of Object.keys(entry.optionalDependencies ?? {})) {
    let dir = location;
    let found = false;
    for (;;) {
      if (packages[`${dir ? `${dir}/` : ''}node_modules/${name}`]) {
        found = true;
        break;
      }
      if (!dir) break;
      const cut = dir.lastIndexOf('/node_modules/');
      dir = cut < 0 ? '' : dir.slice(0, cut);
    }
    if (!found) missing.push(`${location || '(root)'} → ${name}@${entry.optionalDependencies[name]}`);
  }
}
if (missing.length > 0) {
  console.error(`package-lock.json lacks ${missing.length} optional dependencies:\n  ${missing.join('\n  ')}`);
  console.error('Regenerate it where the registry serves every platform package: rm -rf node_modules && npm install');
  process.exit(1);
}
console.log('package-lock.json: every optional dependency is locked');
