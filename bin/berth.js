#!/usr/bin/env node
// Thin launcher (CommonJS: bin/package.json). The compiled CLI lives in dist/ (built by `npm run build`, which
// `npm ci` runs via prepare). First dist/fast.cjs: a call answered by a memo ends there; any other loads the CLI.
'use strict';

function failed(err) {
  const code = err && err.code;
  if ((code === 'MODULE_NOT_FOUND' || code === 'ERR_MODULE_NOT_FOUND') && /dist\/(fast\.cjs|cli\/main\.mjs)/.test(String(err.message))) {
    process.stderr.write('berth: not built yet; run `npm run build` (or `npm ci`) in the berth checkout\n');
    process.exit(2);
  }
  process.stderr.write(`berth: internal error: ${err && err.message ? err.message : err}\n`);
  process.exit(1);
}

async function run() {
  const answer = await require('../dist/fast.cjs').answerFromMemo(process.argv);
  if (answer.answered) return;
  const cli = await import('../dist/cli/main.mjs');
  await cli.main(process.argv, { memoKey: answer.key });
}

run().catch(failed);
