// `npm run build`: src/ → dist/ with esbuild, the CLI bundled into a few ES modules. Every berth call starts a
// fresh node, and loading ~100 small modules (resolve, read, compile, link each; commander through the CommonJS
// loader) cost more CPU than `config -q` itself: one entry (dist/cli/main.js) plus one chunk per lazily loaded
// part (each verb, the engine client, the UI...) keeps the verb-lazy loading and drops the per-file cost.
// Type checking is `npm run typecheck` (tsc); tests run on the sources.
//
// Left outside the bundle, loaded from node_modules when a verb needs them: dockerode (native optional
// dependencies, only for builds, pulls, exec and remote engines), ink and react (the UI), and what the sources
// require() on first use: yaml (a file not in the parse cache) and schemas/stack-validator.gen.cjs (a document
// not on record as valid).
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist');

rmSync(out, { recursive: true, force: true });
await build({
  absWorkingDir: root,
  entryPoints: ['src/cli/main.ts'],
  // dist/cli/main.js (what bin/berth.js imports) and dist/chunks/: two folders below the checkout, like the
  // sources in src/*/, so paths relative to a module (schemas/ for the validator) hold in both.
  outdir: 'dist',
  entryNames: 'cli/[name]',
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  // yaml too: bundled, it is CommonJS behind a default export, and `const { stringify } = await import('yaml')`
  // (config, swarm) found no `stringify`; node's own loader gives its named exports.
  external: ['dockerode', 'ink', 'ink-*', 'react', 'react/*', 'react-dom', 'react-devtools-core', 'yaml'],
  // CommonJS packages in the bundle (commander, tar-stream) call require() for node's own modules: give every
  // module a real one.
  banner: {
    js: "import { createRequire as __berthCreateRequire } from 'node:module'; const require = __berthCreateRequire(import.meta.url);",
  },
  logLevel: 'warning',
});
