// Property tests for the loader: merging is associative (where Compose says it is), and no mutation of a
// valid file can make the loader crash — it either loads or throws a BerthError with a position.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { parse, stringify } from 'yaml';
import { BerthError } from '../../src/errors.js';
import { buildGraph, startOrder } from '../../src/graph/index.js';
import { loadStack } from '../../src/compose/index.js';
import { mergeStacks } from '../../src/compose/merge.js';
import { stackDir } from './compose-helpers.js';

// FC_RUNS=3000 for a longer hunt
// Thousands of throwaway files: keep them out of the user's parse cache.
process.env.BERTH_NO_CACHE = '1';
const RUNS = Number(process.env.FC_RUNS ?? 300);
const name = fc.constantFrom('a', 'b', 'c', 'web', 'db');
const key = fc.constantFrom('A', 'B', 'C', 'D');
const target = fc.constantFrom('/data', '/app', '/cache', '/logs');

const service = fc.record(
  {
    image: fc.constantFrom('x:1', 'y:2', 'z'),
    command: fc.oneof(
      fc.constantFrom('run', 'serve --port 80'),
      fc.array(fc.constantFrom('a', 'b', '-c'), { maxLength: 3 }),
    ),
    environment: fc.oneof(
      fc.dictionary(key, fc.constantFrom('1', '2', 'x')),
      fc
        .uniqueArray(fc.tuple(key, fc.constantFrom('1', '2')), { selector: (t) => t[0], maxLength: 4 })
        .map((l) => l.map(([k, v]) => `${k}=${v}`)),
    ),
    labels: fc.dictionary(key, fc.constantFrom('l1', 'l2')),
    ports: fc
      .uniqueArray(fc.tuple(fc.integer({ min: 8000, max: 8005 }), fc.constantFrom(80, 443, 5432)), {
        selector: (t) => t[1],
        maxLength: 3,
      })
      .map((l) => l.map(([h, t]) => `${h}:${t}`)),
    volumes: fc
      .uniqueArray(fc.tuple(fc.constantFrom('./a', './b', 'data'), target), {
        selector: (t) => t[1],
        maxLength: 3,
      })
      .map((l) => l.map(([s, t]) => `${s}:${t}`)),
    cap_add: fc.uniqueArray(fc.constantFrom('NET_ADMIN', 'SYS_PTRACE', 'CHOWN'), { maxLength: 2 }),
    depends_on: fc.oneof(
      fc.uniqueArray(name, { maxLength: 2 }),
      fc.dictionary(name, fc.record({ condition: fc.constantFrom('service_started', 'service_healthy') })),
    ),
    healthcheck: fc.record(
      { test: fc.constantFrom('true', 'curl x'), interval: fc.constantFrom('1s', '5s') },
      { requiredKeys: [] },
    ),
  },
  { requiredKeys: [] },
);
const file = fc.record(
  {
    services: fc.dictionary(name, service, { maxKeys: 3 }),
    volumes: fc.dictionary(fc.constantFrom('data', 'logs'), fc.constant(null), { maxKeys: 2 }),
    name: fc.constantFrom('p1', 'p2'),
  },
  { requiredKeys: ['services'] },
);

describe('merge', () => {
  test('is associative: (a + b) + c == a + (b + c)', () => {
    fc.assert(
      fc.property(file, file, file, (a, b, c) => {
        const left = mergeStacks(mergeStacks(a, b), c);
        const right = mergeStacks(a, mergeStacks(b, c));
        expect(left).toEqual(right);
      }),
      { numRuns: RUNS },
    );
  });
  test('merging a file over nothing, or nothing over a file, keeps it (up to list → map forms)', () => {
    fc.assert(
      fc.property(file, (a) => {
        expect(mergeStacks(mergeStacks({}, a), {})).toEqual(mergeStacks({}, a));
      }),
    );
  });
});

const corpus = path.resolve(import.meta.dirname, '../../../shared/corpus/awesome-compose');
const texts = readdirSync(corpus, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => {
    const dir = path.join(corpus, d.name);
    const f = readdirSync(dir).find((n) => /^compose\.ya?ml$/.test(n))!;
    return readFileSync(path.join(dir, f), 'utf8');
  });

function loadText(text: string): 'ok' | 'error' {
  const dir = stackDir({ 'compose.yaml': text });
  writeFileSync(path.join(dir, '.env'), '');
  try {
    const s = loadStack({ files: [], cwd: dir, profiles: [], envFiles: [], env: {} });
    startOrder(buildGraph(s));
    return 'ok';
  } catch (e) {
    if (!(e instanceof BerthError)) throw e;
    expect(e.exitCode).toBe(2);
    expect(e.message).not.toMatch(/undefined|\[object Object\]/);
    return 'error';
  }
}

describe('mutations never crash the loader', () => {
  test('text mutations (deleted, inserted, duplicated characters and lines)', () => {
    const junk = fc.constantFrom(
      ':',
      ' ',
      '-',
      '\t',
      '"',
      "'",
      '[',
      ']',
      '{',
      '}',
      '$',
      '${',
      '\n',
      '&a',
      '*a',
      '<<: ',
      '!reset ',
      '#',
      '?',
      '%',
      '|',
    );
    const mutation = fc.oneof(
      fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 8 }) }),
      fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), s: junk }),
      fc.record({ kind: fc.constant('dupline' as const), at: fc.nat() }),
      fc.record({ kind: fc.constant('indent' as const), at: fc.nat(), by: fc.integer({ min: -2, max: 2 }) }),
    );
    fc.assert(
      fc.property(fc.nat(texts.length - 1), fc.array(mutation, { minLength: 1, maxLength: 4 }), (i, muts) => {
        let t = texts[i]!;
        for (const m of muts) {
          const at = m.at % (t.length + 1);
          if (m.kind === 'delete') t = t.slice(0, at) + t.slice(at + m.len);
          else if (m.kind === 'insert') t = t.slice(0, at) + m.s + t.slice(at);
          else {
            const lines = t.split('\n');
            const n = m.at % lines.length;
            if (m.kind === 'dupline') lines.splice(n, 0, lines[n]!);
            else lines[n] = m.by > 0 ? ' '.repeat(m.by) + lines[n] : lines[n]!.slice(-m.by);
            t = lines.join('\n');
          }
        }
        loadText(t);
      }),
      { numRuns: RUNS },
    );
  });
  test('structural mutations (any value replaced by any JSON value)', () => {
    fc.assert(
      fc.property(
        fc.nat(texts.length - 1),
        fc.array(fc.nat(), { minLength: 1, maxLength: 6 }),
        fc.jsonValue({ maxDepth: 2 }),
        (i, route, value) => {
          const doc = parse(texts[i]!) as unknown;
          // walk a random route into the document and replace what is there
          let parent: Record<string, unknown> | unknown[] | undefined;
          let k: string | number | undefined;
          let node: unknown = doc;
          for (const r of route) {
            if (node && typeof node === 'object') {
              const keys = Array.isArray(node) ? node.map((_, j) => j) : Object.keys(node);
              if (keys.length === 0) break;
              parent = node as Record<string, unknown>;
              k = keys[r % keys.length]!;
              node = (parent as Record<string, unknown>)[k as string];
            }
          }
          if (parent !== undefined && k !== undefined)
            (parent as Record<string, unknown>)[k as string] = value;
          loadText(stringify(doc));
        },
      ),
      { numRuns: RUNS },
    );
  });
});
