// Preloaded with `node -r` by tests: on exit, prints every loaded package name (from node_modules) to stderr as one
// JSON line, so a test can assert what a command did NOT load.
process.on('exit', () => {
  const packages = new Set();
  for (const file of Object.keys(require.cache)) {
    const match = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(file);
    if (match) packages.add(match[1]);
  }
  process.stderr.write(`LOADED_PACKAGES ${JSON.stringify([...packages].sort())}\n`);
});
