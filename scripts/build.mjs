// `npm run build`: src/ → dist/ with esbuild, the CLI bundled into a few ES modules. Every berth call starts a
// fresh node, and loading ~100 small modules (resolve, read, compile, link each; commander through the CommonJS
// loader) cost more CPU than `config -q` itself: one entry (dist/cli/main.mjs) plus one chunk per lazily loaded
// part (each verb, the engine client, the UI...) keeps the verb-lazy loading and drops the per-file cost.
// Type checking is `npm run typecheck` (tsc); tests run on the sources.
//
// Left outside the bundle, loaded from node_modules when a verb needs them: dockerode (native optional
// dependencies, only for builds, pulls, exec and remote engines), ink and react (the UI), and what the sources
// require() on first use: yaml (a file not in the parse cache) and schemas/stack-validator.gen.cjs (a document
// not on record as valid).
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

// commander requires node:child_process when it loads, for executable subcommands (berth has none). Loading it
// pulls in net, dgram and more: about 6 ms of CPU for `config -q` (interleaved A/B, 21 runs each, 230 -> 224
// ms; verbs that talk to the engine load it anyway). Commander gets a stand-in that loads the real module only if it is ever used.
const lazyChildProcess = {
  name: 'lazy-child-process',
  setup(b) {
    b.onResolve({ filter: /^(node:)?child_process$/ }, (a) =>
      a.importer.includes('node_modules/commander/')
        ? { path: 'child_process', namespace: 'lazy-child-process' }
        : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'lazy-child-process' }, () => ({
      contents: "module.exports = new Proxy({}, { get: (_, k) => require('node:child_process')[k] });",
      loader: 'js',
    }));
  },
};

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist');

rmSync(out, { recursive: true, force: true });
await build({
  absWorkingDir: root,
  entryPoints: ['src/cli/main.ts'],
  // dist/cli/main.mjs (what bin/berth.js imports) and dist/chunks/: two folders below the checkout, like the
  // sources in src/*/, so paths relative to a module (schemas/ for the validator) hold in both.
  outdir: 'dist',
  entryNames: 'cli/[name]',
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  // .mjs: node knows the format from the name; for .js it looks up the package scope (package.json files up
  // the tree) for every chunk. With the lazy child_process below and the servername in engine/light.ts,
  // 14 ms less CPU per call (interleaved A/B, 21 runs each: `config -q` 244 -> 229 ms, no-op `up -d` of 60
  // services 346 -> 331 ms).
  outExtension: { '.js': '.mjs' },
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
  plugins: [lazyChildProcess],
});

// dist/fast.cjs, what bin/berth.js runs first: answer from a memo (src/memo/fast.ts), or say the key to write
// one under. CommonJS, and small: node starts a CommonJS entry ~15 ms sooner than an ES module one, and a memo
// hit should load nothing else. Each build has its own id, so a memo written by another build is never read.
await build({
  absWorkingDir: root,
  entryPoints: ['src/memo/fast.ts'],
  outfile: 'dist/fast.cjs',
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  define: { __BERTH_BUILD__: JSON.stringify(randomBytes(8).toString('hex')) },
  logLevel: 'warning',
});
