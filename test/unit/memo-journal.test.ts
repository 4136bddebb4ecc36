// The journal must hold every file a memoized answer depends on: a file read but not journalled would let a memo
// answer after that file changed. This runs the real CLI in process over a stack that reads every kind of file
// (discovery, override, .env, env_file, include, extends, client overlay and env, the state `berth use` keeps)
// and checks each file node was asked to open or look for against the journal.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, expect, test } from 'vitest';
import { main } from '../../src/cli/main.js';
import { journalEntries, startJournal, stopJournal } from '../../src/inputs/journal.js';

const fs = createRequire(import.meta.url)('node:fs') as typeof import('node:fs');
const PATCHED = ['openSync', 'readFileSync', 'existsSync', 'readdirSync'] as const;
const originals = Object.fromEntries(PATCHED.map((k) => [k, fs[k]]));
const readFileAsync = fs.promises.readFile;

afterEach(() => {
  Object.assign(fs, originals);
  fs.promises.readFile = readFileAsync;
  syncBuiltinESMExports();
  stopJournal();
  process.exitCode = undefined;
});

function stackDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'berth-journal-'));
  const w = (rel: string, text: string) => {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    writeFileSync(path.join(dir, rel), text);
  };
  w(
    'compose.yaml',
    [
      'include:',
      '  - path: sub/extra.yaml',
      '    env_file: sub/extra.env',
      'services:',
      '  app:',
      '    extends: {file: common.yaml, service: base}',
      '    env_file: app.env',
      '    environment: {PORT: "${PORT}"}',
    ].join('\n'),
  );
  w('compose.override.yaml', 'services:\n  app:\n    labels: {tier: "${TIER:-x}"}\n');
  w('common.yaml', 'services:\n  base:\n    image: berth/busybox:latest\n');
  w('app.env', 'A=1\n');
  w('.env', 'PORT=8080\n');
  w('sub/extra.yaml', 'services:\n  side:\n    image: "berth/busybox:${SIDE_TAG}"\n');
  w('sub/extra.env', 'SIDE_TAG=latest\n');
  w('clients/acme.yaml', 'services:\n  app:\n    environment: {CLIENT: acme}\n');
  w('clients/acme.env', 'TIER=gold\n');
  w('.berth/state.json', JSON.stringify({ activeClient: 'acme' }));
  return dir;
}

test('every file the CLI opened or looked for while loading a stack is in the journal', async () => {
  const dir = stackDir();
  const touched = new Set<string>();
  const note = (p: unknown) => {
    if (typeof p === 'string') touched.add(path.resolve(p));
  };
  for (const k of PATCHED) {
    const real = originals[k] as (...a: unknown[]) => unknown;
    (fs as unknown as Record<string, unknown>)[k] = (...a: unknown[]) => {
      note(a[0]);
      return real(...a);
    };
  }
  fs.promises.readFile = ((p: unknown, ...rest: unknown[]) => {
    note(p);
    return (readFileAsync as (...a: unknown[]) => unknown)(p, ...rest);
  }) as typeof fs.promises.readFile;
  syncBuiltinESMExports();

  startJournal();
  await main(['node', 'berth', '--project-directory', dir, 'config', '-q']);
  expect(process.exitCode ?? 0).toBe(0);
  const journal = new Set(journalEntries()!.keys());
  // berth's own files (the schema validator, the sources) and the parse cache are not the stack's inputs
  const own = [path.resolve(import.meta.dirname, '../..'), process.env.BERTH_CACHE_DIR!];
  const inputs = [...touched].filter((p) => !own.some((o) => p.startsWith(o)));
  expect(inputs.length).toBeGreaterThanOrEqual(10);
  expect(inputs.filter((p) => !journal.has(p))).toEqual([]);
  for (const f of ['sub/extra.env', 'clients/acme.env', '.berth/state.json', 'common.yaml'])
    expect(journal.has(path.join(dir, f))).toBe(true);
});
