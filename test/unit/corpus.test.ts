// Every stack file in the shared corpus (../shared/corpus from the repo root, as CI lays it out) loads,
// validates and yields a start order that agrees with the manifest's dependency edges. A missing corpus is
// a failure, not a skip.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { buildGraph, levels, startOrder } from '../../src/graph/index.js';
import { loadStack } from '../../src/compose/index.js';

const repo = path.resolve(import.meta.dirname, '../..');
const corpus = path.resolve(repo, '../shared/corpus');
const samplesDir = path.join(corpus, 'awesome-compose');

test('the corpus is present at ../shared/corpus', () => {
  expect(existsSync(samplesDir), `${samplesDir} is missing`).toBe(true);
});

const samples = existsSync(samplesDir)
  ? readdirSync(samplesDir, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name)
      .sort()
  : [];

function manifestEdges(sample: string): Array<[string, string]> {
  // The MANIFEST.md lines "- dependencies: `a` → b (cond), c (cond); `d` → e (cond)" are the reference.
  const md = readFileSync(path.join(corpus, 'MANIFEST.md'), 'utf8');
  const section = md.split(/^#### /m).find((s) => s.startsWith(`${sample}/`));
  const line = section?.split('\n').find((l) => l.startsWith('- dependencies:'));
  if (!line) return [];
  const edges: Array<[string, string]> = [];
  for (const part of line.slice('- dependencies:'.length).split(';')) {
    const m = /`([^`]+)` → (.*)$/.exec(part.trim());
    if (!m) continue;
    for (const dep of m[2]!.split(',')) edges.push([m[1]!, dep.trim().split(' ')[0]!]);
  }
  return edges;
}

/** "- start levels: [db] → [backend] → [proxy]" (alphabetical within a level) from MANIFEST.md. */
function manifestLevels(sample: string): string[][] | undefined {
  const md = readFileSync(path.join(corpus, 'MANIFEST.md'), 'utf8');
  const section = md.split(/^#### /m).find((s) => s.startsWith(`${sample}/`));
  const line = section?.split('\n').find((l) => l.startsWith('- start levels:'));
  if (!line) return undefined;
  return [...line.matchAll(/\[([^\]]*)\]/g)].map((m) =>
    m[1]!
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean),
  );
}

describe.each(samples)('corpus %s', (sample) => {
  test('loads, validates and yields a start order that respects every dependency', () => {
    const dir = path.join(samplesDir, sample);
    const stack = loadStack({ files: [], cwd: dir, profiles: [], envFiles: [], env: { HOME: '/home/user' } });
    const order = startOrder(buildGraph(stack));
    expect(order.sort()).toEqual(Object.keys(stack.services).sort());
    const started = startOrder(buildGraph(stack));
    for (const [from, to] of manifestEdges(sample)) {
      expect(started.indexOf(to), `${to} before ${from}`).toBeLessThan(started.indexOf(from));
    }
    const expected = manifestLevels(sample);
    expect(expected, 'manifest start levels').toBeDefined();
    expect(levels(buildGraph(stack)).map((l) => [...l].sort())).toEqual(expected);
    // no unset-variable warnings: each sample's .env satisfies it
    expect(stack.warnings.filter((w) => w.includes('is not set'))).toEqual([]);
  });
});

test('the whole corpus passes (39 files)', () => {
  expect(samples.length).toBe(39);
  let ok = 0;
  for (const sample of samples) {
    try {
      const stack = loadStack({
        files: [],
        cwd: path.join(samplesDir, sample),
        profiles: [],
        envFiles: [],
        env: {},
      });
      buildGraph(stack);
      ok++;
    } catch {
      // counted as a failure below
    }
  }
  expect(ok).toBe(samples.length);
  // the cross-check above really compared something
  expect(samples.flatMap(manifestEdges).length).toBeGreaterThan(20);
});
