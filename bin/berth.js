#!/usr/bin/env node
// Thin launcher: the compiled CLI lives in dist/ (built by `npm run build`, which `npm ci` runs via prepare).
import('../dist/cli/main.mjs').then((m) => m.main(process.argv)).catch((err) => {
  if (err && err.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes('dist/cli/main.mjs')) {
    process.stderr.write('berth: not built yet; run `npm run build` (or `npm ci`) in the berth checkout\n');
    process.exit(2);
  }
  process.stderr.write(`berth: internal error: ${err && err.message ? err.message : err}\n`);
  process.exit(1);
});
