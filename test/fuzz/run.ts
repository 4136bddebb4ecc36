// `npm run fuzz [-- --minutes 10 --seed 1 --slow-ms 2000 --out DIR]`: the loader fuzzer for as long as asked,
// reporting every crash and every case over the time limit (CPU time of the first load), each saved to DIR
// as a folder that `berth -f DIR/case-N/compose.yaml config` reproduces. `--case N` runs only case N (and
// saves it); `--trace` prints each case number before running it, to find one that hangs.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadSeeds, makeCase, runCase } from './loader-fuzz.js';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    seed: { type: 'string', default: String(Date.now() % 1_000_000) },
    'slow-ms': { type: 'string', default: '2000' },
    out: { type: 'string' },
    case: { type: 'string' },
    trace: { type: 'boolean', default: false },
  },
});
const seed = Number(values.seed);
const slowMs = Number(values['slow-ms']);
const until = Date.now() + Number(values.minutes) * 60_000;
const work = mkdtempSync(path.join(tmpdir(), 'berth-fuzz-'));
const out = values.out ?? path.join(work, 'findings');
process.env.BERTH_CACHE_DIR = path.join(work, 'cache');
delete process.env.BERTH_NO_CACHE;

const seeds = loadSeeds();
const counts = { loaded: 0, refused: 0, crash: 0, slow: 0 };
let ran = 0;
/** What refusals say (first line, without file:line and names), to see where mutations stop. */
const reasons = new Map<string, number>();
let maxMs = 0;
/** The slowest cases so far, to look at before they cross the limit. */
const slowest: Array<{ n: number; ms: number }> = [];
let n = values.case === undefined ? 0 : Number(values.case);
const last = values.case === undefined ? Number.POSITIVE_INFINITY : n;
console.log(
  `berth fuzz: seed ${seed}, ${seeds.stacks.length} stack files and ${seeds.envs.length} env files as seeds, findings in ${out}`,
);
for (; n <= last && Date.now() < until; n++) {
  const c = makeCase(seed, n, seeds);
  if (values.trace) console.log(`case ${n} ...`);
  const { outcome, cpuMs } = runCase(path.join(work, 'case'), c);
  counts[outcome.kind]++;
  ran++;
  if (outcome.kind === 'refused') {
    const why = outcome.message
      .split('\n')[0]!
      .replace(/^berth: [^:]+:\d+:\d+: /, '')
      .replace(/`[^`]*`|"[^"]*"|\d+/g, '_')
      .slice(0, 80);
    reasons.set(why, (reasons.get(why) ?? 0) + 1);
  }
  maxMs = Math.max(maxMs, cpuMs);
  slowest.push({ n, ms: cpuMs });
  slowest.sort((a, b) => b.ms - a.ms);
  slowest.length = Math.min(slowest.length, 5);
  const slow = cpuMs > slowMs;
  if (slow) counts.slow++;
  if (outcome.kind === 'crash' || slow || values.case !== undefined) {
    const dir = path.join(out, `case-${n}`);
    mkdirSync(dir, { recursive: true });
    for (const [f, text] of Object.entries(c.files)) {
      mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
      writeFileSync(path.join(dir, f), text);
    }
    const what = outcome.kind === 'crash' ? outcome.message : `${Math.round(cpuMs)} ms CPU`;
    writeFileSync(
      path.join(dir, 'FINDING.txt'),
      `seed ${seed} case ${n}${c.client ? ` client ${c.client}` : ''}\n${what}\n`,
    );
    console.log(
      `case ${n}: ${outcome.kind === 'crash' ? 'CRASH' : outcome.kind}${slow ? ` SLOW ${Math.round(cpuMs)} ms` : ''}: ${what.split('\n')[0]!.slice(0, 200)}`,
    );
  }
  if (n % 1000 === 999) {
    // the parse cache of thousands of one-off files is not worth keeping
    rmSync(process.env.BERTH_CACHE_DIR, { recursive: true, force: true });
    console.log(`${n + 1} cases: ${JSON.stringify(counts)}, slowest ${Math.round(maxMs)} ms`);
  }
}
console.log(
  `done: ${ran} cases, ${counts.loaded} loaded, ${counts.refused} refused cleanly, ${counts.crash} crashes, ${counts.slow} over ${slowMs} ms (slowest ${Math.round(maxMs)} ms CPU)`,
);
console.log(
  `most common refusals:\n${[...reasons]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 12)
    .map(([why, k]) => `  ${k} ${why}`)
    .join('\n')}`,
);
console.log(`slowest cases: ${slowest.map((x) => `${x.n} (${Math.round(x.ms)} ms)`).join(', ')}`);
rmSync(path.join(work, 'case'), { recursive: true, force: true });
rmSync(process.env.BERTH_CACHE_DIR, { recursive: true, force: true });
process.exitCode = counts.crash + counts.slow > 0 ? 1 : 0;
