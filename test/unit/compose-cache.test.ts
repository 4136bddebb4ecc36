import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { knownValid, recordValid } from '../../src/compose/parse-cache.js';
import { fingerprint, validateDoc, validatorId } from '../../src/compose/schema.js';
import { parseSource, type SourceDoc } from '../../src/compose/source.js';
import type { BerthError } from '../../src/errors.js';

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

describe('documents on record as valid', () => {
  const doc = (value: unknown, text = 'services: {}\n'): SourceDoc => ({
    file: '/s/v.yaml',
    shown: 'v.yaml',
    text,
    value,
    reset: new Set(),
    override: new Set(),
    where: new Map(),
    lines: text.split('\n'),
  });
  const check = (value: unknown) => {
    const errors: BerthError[] = [];
    validateDoc(doc(value), errors, () => {});
    return errors;
  };
  const valid = () => readdirSync(dir).filter((f) => f.endsWith('.valid'));

  test('a valid document is recorded once validated; the record is what a later load trusts', () => {
    const good = { services: { web: { image: 'x', environment: { A: '1' } } } };
    const n = valid().length;
    expect(check(good)).toEqual([]);
    expect(valid()).toHaveLength(n + 1);
    expect(knownValid(validatorId!, fingerprint(good))).toBe(true);
    // proof that the record is used: a bad document with a (forged) record of validity is not validated
    const bad = { services: { web: { image: 'x', bogus: 1 } } };
    expect(
      check(bad)
        .map((e) => e.message)
        .join(),
    ).toMatch(/bogus/);
    recordValid(validatorId!, fingerprint(bad));
    expect(check(bad)).toEqual([]);
  });

  test('an invalid document is never recorded: its errors show on every load', () => {
    const bad = { services: { web: { image: 'x', ports: 'not a list' } } };
    const n = valid().length;
    expect(check(bad)).not.toEqual([]);
    expect(check(bad)).not.toEqual([]);
    expect(valid()).toHaveLength(n);
  });

  test('the fingerprint tells apart what JSON would not (.inf and null, 1 and "1", [] and {})', () => {
    const prints = [
      Infinity,
      null,
      1,
      '1',
      true,
      'true',
      [],
      {},
      [null],
      [undefined],
      { a: 1 },
      { a: '1' },
    ].map((v) => fingerprint({ x: v }));
    expect(new Set(prints).size).toBe(prints.length);
    // a key whose value is undefined is no key to the validator either
    expect(fingerprint({ a: 1, b: undefined })).toBe(fingerprint({ a: 1 }));
  });

  test('BERTH_NO_CACHE=1: validated every time, nothing recorded', () => {
    process.env.BERTH_NO_CACHE = '1';
    try {
      const n = valid().length;
      expect(check({ services: { other: { image: 'y' } } })).toEqual([]);
      expect(valid()).toHaveLength(n);
    } finally {
      delete process.env.BERTH_NO_CACHE;
    }
  });
});
