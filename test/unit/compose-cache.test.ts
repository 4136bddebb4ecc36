import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { parseSource } from '../../src/compose/source.js';

const dir = mkdtempSync(path.join(tmpdir(), 'berth-cache-'));
/** Cache entries (the folder also holds the prune stamp). */
const entries = () => readdirSync(dir).filter((f) => f.endsWith('.json'));
const before = process.env.BERTH_CACHE_DIR;
process.env.BERTH_CACHE_DIR = dir;
afterAll(() => {
  if (before === undefined) delete process.env.BERTH_CACHE_DIR;
  else process.env.BERTH_CACHE_DIR = before;
});

test('a parsed file is cached by content: same value and positions on a hit, a miss after an edit', () => {
  const text = 'x-a: &a\n  image: x\nservices:\n  web:\n    <<: *a\n    ports: !reset []\n';
  const first = parseSource('/s/compose.yaml', 'compose.yaml', text);
  expect(entries()).toHaveLength(1);
  const hit = parseSource('/s/compose.yaml', 'compose.yaml', text);
  expect(hit.value).toEqual(first.value);
  expect([...hit.where]).toEqual([...first.where]);
  expect([...hit.reset]).toEqual(['services\0web\0ports']);
  parseSource('/s/compose.yaml', 'compose.yaml', text.replace('image: x', 'image: y'));
  expect(entries()).toHaveLength(2);
});

test('a corrupt cache entry is ignored', () => {
  const text = 'services:\n  a:\n    image: z\n';
  parseSource('/s/c2.yaml', 'c2.yaml', text);
  for (const f of entries()) writeFileSync(path.join(dir, f), '{not json');
  expect(parseSource('/s/c2.yaml', 'c2.yaml', text).value).toEqual({ services: { a: { image: 'z' } } });
});

test('BERTH_NO_CACHE=1 turns it off', () => {
  process.env.BERTH_NO_CACHE = '1';
  try {
    const n = entries().length;
    parseSource('/s/c3.yaml', 'c3.yaml', 'services: {}\n');
    expect(entries()).toHaveLength(n);
  } finally {
    delete process.env.BERTH_NO_CACHE;
  }
});
