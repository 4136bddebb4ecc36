// The loader fuzzer in the unit suite: a fixed seed and a time budget (the long runs are `npm run fuzz`).
// Every mutated stack either loads or fails with a BerthError at a file:line (exit 2), loads the same from the
// parse cache, and takes under 2 s of CPU (CPU, not wall time: the machine is shared).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect, test } from 'vitest';
import { corpusDir, loadSeeds, makeCase, runCase } from '../fuzz/loader-fuzz.js';

const SEED = 20261130;
const BUDGET_MS = 50_000;
// A fixed number of cases, so a fast machine does not run into cases a slow one never reaches; the budget only
// bounds the run on a busy one. 1,400 includes case 1372 (a 64 KiB unknown key: ~9.8 s of CPU in the "did you
// mean" edit distances until they skipped keys too far apart in length), which is also run on its own below,
// and case 413 (400 services publishing `1-65535:1-65535`: 2.1 s of CPU in CI until the port checks took each
// line's range as one).
const MAX_CASES = 1400;
const FOUND = [413, 1372];

test('the corpus is there to seed the fuzzer', () => {
  expect(corpusDir(), 'expected ../shared/corpus next to the checkout').toBeDefined();
});

test(`cases once found slow or crashing stay fixed (seed ${SEED})`, () => {
  const seeds = loadSeeds();
  const work = mkdtempSync(path.join(tmpdir(), 'berth-fuzz-found-'));
  for (const n of FOUND) {
    const { outcome, cpuMs } = runCase(path.join(work, 'case'), makeCase(SEED, n, seeds));
    expect(outcome.kind, `case ${n}`).not.toBe('crash');
    expect(cpuMs, `case ${n}: CPU ms`).toBeLessThan(2000);
  }
});

test(`fuzzed stack files load or fail cleanly (seed ${SEED})`, { timeout: 120_000 }, () => {
  const seeds = loadSeeds();
  expect(seeds.stacks.length).toBeGreaterThan(100);
  const work = mkdtempSync(path.join(tmpdir(), 'berth-fuzz-unit-'));
  const findings: string[] = [];
  const counts = { loaded: 0, refused: 0, crash: 0 };
  const start = Date.now();
  let n = 0;
  for (; n < MAX_CASES && Date.now() - start < BUDGET_MS; n++) {
    const { outcome, cpuMs } = runCase(path.join(work, 'case'), makeCase(SEED, n, seeds));
    counts[outcome.kind]++;
    if (outcome.kind === 'crash') findings.push(`case ${n}: ${outcome.message.slice(0, 300)}`);
    // a slow case is slow twice; once may be a collection of the garbage earlier cases left
    if (cpuMs > 2000) {
      const again = runCase(path.join(work, 'case'), makeCase(SEED, n, seeds)).cpuMs;
      if (again > 2000) findings.push(`case ${n}: ${Math.round(cpuMs)} then ${Math.round(again)} ms CPU`);
    }
  }
  console.log(`fuzz: ${n} cases in ${Date.now() - start} ms: ${JSON.stringify(counts)}`);
  expect(findings, `npm run fuzz -- --seed ${SEED} --case N reproduces one`).toEqual([]);
  // enough cases ran to mean something, and the mutations both pass and fail the loader
  expect(n).toBeGreaterThanOrEqual(50);
  expect(counts.loaded).toBeGreaterThan(n / 20);
  expect(counts.refused).toBeGreaterThan(n / 5);
});
