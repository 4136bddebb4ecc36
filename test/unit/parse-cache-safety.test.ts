import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { cacheInfo, clearCache, MAX_AGE_MS, prune } from '../../src/compose/parse-cache.js';
import { parseSource } from '../../src/compose/source.js';
import { berthProcess } from './cli-harness.js';
import { load } from './compose-helpers.js';

let dir: string;
const before = process.env.BERTH_CACHE_DIR;
beforeEach(() => {
  dir = path.join(mkdtempSync(path.join(tmpdir(), 'berth-cache-safety-')), 'parsed');
  process.env.BERTH_CACHE_DIR = dir;
});
afterEach(() => {
  if (before === undefined) delete process.env.BERTH_CACHE_DIR;
  else process.env.BERTH_CACHE_DIR = before;
});

const entryNames = () => readdirSync(dir).filter((f) => f.endsWith('.json'));
const mode = (f: string) => statSync(f).mode & 0o777;

test('a 0600 stack file holding a password gets a cache entry nobody else can read, in a private folder', () => {
  const stack = load({
    'compose.yaml': 'services:\n  db:\n    image: x\n    environment: {PASSWORD: hunter2}\n',
  });
  expect(stack.services.db!.environment.PASSWORD).toBe('hunter2');
  const names = entryNames();
  expect(names).toHaveLength(1);
  expect(names[0]).toMatch(/^v\d+-[0-9a-f]{40}\.json$/);
  expect(mode(path.join(dir, names[0]!))).toBe(0o600);
  expect(mode(dir)).toBe(0o700);
});

test('whatever the umask and a leftover half-written file, an entry is 0600', () => {
  const old = process.umask(0o000);
  try {
    const text = 'services:\n  a:\n    image: y\n';
    parseSource('/s/compose.yaml', 'compose.yaml', text);
    for (const f of entryNames()) expect(mode(path.join(dir, f))).toBe(0o600);
  } finally {
    process.umask(old);
  }
});

test('entries of another format are never read, and pruning removes them with old and stale ones', () => {
  mkdirSync(dir, { recursive: true });
  const now = Date.now();
  const old = now - MAX_AGE_MS - 1000;
  const hex = (c: string) => c.repeat(40);
  const files = {
    fromFormat1: `${hex('a')}.json`,
    fromOtherVersion: `v1-${hex('b')}.json`,
    unusedForMonths: `v2-${hex('c')}.json`,
    fresh: `v2-${hex('d')}.json`,
    halfWritten: `v2-${hex('e')}.json.123.tmp`,
    notOurs: 'notes.txt',
  };
  for (const f of Object.values(files)) writeFileSync(path.join(dir, f), '{}');
  utimesSync(path.join(dir, files.unusedForMonths), old / 1000, old / 1000);
  utimesSync(path.join(dir, files.halfWritten), (now - 7200_000) / 1000, (now - 7200_000) / 1000);
  expect(cacheInfo()).toMatchObject({ dir, entries: 3, stale: 2 });
  prune(dir, now);
  expect(readdirSync(dir).sort()).toEqual(['.pruned', files.fresh, files.notOurs].sort());
});

test('beyond the size cap, the least recently used entries go first', () => {
  mkdirSync(dir, { recursive: true });
  const now = Date.now();
  for (let i = 0; i < 5; i++) {
    const f = path.join(dir, `v2-${String(i).repeat(40)}.json`);
    writeFileSync(f, 'x'.repeat(1000));
    const t = (now - (5 - i) * 60_000) / 1000; // entry 0 is the oldest
    utimesSync(f, t, t);
  }
  prune(dir, now, 2500);
  expect(entryNames().map((f) => f[3])).toEqual(['3', '4']);
});

test('`berth cache` and `berth cache clear`: what is there, then nothing of ours left', {
  timeout: 60_000,
}, () => {
  load({ 'compose.yaml': 'services:\n  a:\n    image: x\n' });
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'keep-me.txt'), 'not berth’s');
  const berth = (...args: string[]) => berthProcess(args, { BERTH_CACHE_DIR: dir });
  const info = berth('cache');
  expect(info.stderr).toBe('');
  expect(info.status).toBe(0);
  expect(info.stdout).toMatch(
    new RegExp(`^folder: +${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\nentries: 1\n`),
  );
  const clear = berth('cache', 'clear');
  expect(clear.status).toBe(0);
  expect(clear.stdout).toMatch(/^removed 1 cache entry \(/);
  expect(entryNames()).toEqual([]);
  expect(existsSync(path.join(dir, 'keep-me.txt'))).toBe(true);
  expect(clearCache()).toEqual({ files: 0, bytes: 0 });
});

test('values JSON cannot carry (.inf, .nan, -0) are parsed every time rather than cached wrong', () => {
  const text = 'services:\n  a:\n    image: x\n    x-n: [.inf, -.inf, .nan, -0]\n';
  const first = parseSource('/s/inf.yaml', 'inf.yaml', text);
  const again = parseSource('/s/inf.yaml', 'inf.yaml', text);
  expect(again.value).toEqual(first.value);
  expect(Object.is((again.value as { services: { a: { 'x-n': number[] } } }).services.a['x-n'][3], -0)).toBe(
    true,
  );
  expect(existsSync(dir) ? entryNames() : []).toEqual([]);
});

test('a !!binary value is read as its text, the same from the cache', () => {
  const text = 'services:\n  a:\n    image: !!binary YmVydGgvYnVzeWJveA==\n';
  const first = parseSource('/s/bin.yaml', 'bin.yaml', text);
  const again = parseSource('/s/bin.yaml', 'bin.yaml', text);
  expect(first.value).toEqual({ services: { a: { image: 'berth/busybox' } } });
  expect(again.value).toEqual(first.value);
});
