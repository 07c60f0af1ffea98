// Copies every Lua script from src/ into dist/src/ beside its compiled owner, so dist/ runs on its own.
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const copy = (from, to) => {
  for (const entry of fs.readdirSync(from, { withFileTypes: true })) {
    const source = path.join(from, entry.name);
    const target = path.join(to, entry.name);
    if (entry.isDirectory()) copy(source, target);
    else if (entry.name.endsWith('.lua')) {
      fs.mkdirSync(to, { recursive: true });
      fs.copyFileSync(source, target);
    }
  }
};
copy(path.join(root, 'src'), path.join(root, 'dist', 'src'));
