// CPU seconds per call: the berth process's task-clock (perf stat; else user+sys via /usr/bin/time), beside the wall
// time, for `config -q`, a no-op `up -d` and `ps` on generated flat stacks. CPU time is what berth itself costs;
// unlike wall time it barely moves with the machine's load. `npm run bench:cpu [-- --sizes 10,60,200 --runs 5]`
// prints a markdown table; `--out FILE` also writes it between the CPU markers of that file (bench/RESULTS.md).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import Docker from 'dockerode';
import { toComposeYaml } from './compose-file.js';
import { generateStack } from './gen.js';
import { median } from './report.js';
import { removeAll } from './state.js';

const ROOT = resolve(dirname(new URL(import.meta.url).pathname), '..');
const BIN = join(ROOT, 'bin/berth.js');
const TIME = '/usr/bin/time';

export interface CpuSample {
  cpuS: number;
  wallS: number;
  code: number | null;
  output: string;
}

const PERF = '/usr/bin/perf';

/**
 * One call's CPU seconds (all its threads and children) and wall time. With perf: its task-clock, to the
 * microsecond; otherwise user+sys from /usr/bin/time, to the centisecond each (0.02 s either way on a sum that
 * a memo hit keeps near 0.13 s).
 */
export function cpuTimed(args: string[], env: NodeJS.ProcessEnv): Promise<CpuSample> {
  const out = join(mkdtempSync(join(tmpdir(), 'berth-cpu-')), 'time');
  const perf = existsSync(PERF);
  const t0 = performance.now();
  return new Promise((done) => {
    const child = perf
      ? spawn(PERF, ['stat', '-x,', '-e', 'task-clock', '-o', out, '--', ...args], {
          env,
          stdio: ['ignore', 'pipe', 'pipe'],
        })
      : spawn(TIME, ['-f', '%U %S %e', '-o', out, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const keep = (b: Buffer) => {
      output = (output + b.toString()).slice(-4000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('close', (code) => {
      const text = readFileSync(out, 'utf8');
      rmSync(dirname(out), { recursive: true, force: true });
      const wallS = (performance.now() - t0) / 1000;
      if (perf) {
        const ms = Number(/^([\d.]+),msec,task-clock/m.exec(text)?.[1]);
        return done({ cpuS: ms / 1000, wallS, code, output });
      }
      const [u, s] = text.trim().split('\n').pop()!.split(' ').map(Number);
      done({ cpuS: u! + s!, wallS, code, output });
    });
  });
}

export type CpuVerb = 'node -e 0' | 'config -q' | 'no-op up' | 'config -q, full' | 'no-op up, full' | 'ps';
export interface CpuRow {
  size: number;
  verb: CpuVerb;
  cpuS: number;
  wallS: number;
  /** Median of (the call − a `node -e 0` run just before it): berth's own cost, load's share mostly cancelled. */
  aboveNodeS?: number;
  runs: number;
}

export async function measureCpu(opts: {
  sizes: number[];
  runs: number;
  log: (s: string) => void;
  env?: NodeJS.ProcessEnv;
}): Promise<CpuRow[]> {
  if (!existsSync(TIME) && !existsSync(PERF))
    throw new Error(`${PERF} or ${TIME} is needed to read a child's CPU time`);
  const docker = new Docker();
  const session = `bcpu-${randomBytes(2).toString('hex')}`;
  const cache = mkdtempSync(join(tmpdir(), 'berth-cpu-cache-'));
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', BERTH_CACHE_DIR: cache, ...opts.env };
  delete env.BERTH_NO_CACHE;
  const rows: CpuRow[] = [];
  const row = async (size: number, verb: CpuVerb, args: string[], extra: NodeJS.ProcessEnv = {}) => {
    const cpu: number[] = [];
    const wall: number[] = [];
    const above: number[] = [];
    for (let i = 0; i < opts.runs; i++) {
      // a bare node just before each call: what the machine's load does to CPU time, it does to both
      const floor = size ? await cpuTimed([process.execPath, '-e', '0'], env) : undefined;
      const r = await cpuTimed(args, { ...env, ...extra });
      if (r.code !== 0) throw new Error(`${verb} at ${size}: exit ${r.code}: ${r.output.slice(-500)}`);
      cpu.push(r.cpuS);
      wall.push(r.wallS);
      if (floor) above.push(r.cpuS - floor.cpuS);
    }
    const out = {
      size,
      verb,
      cpuS: median(cpu)!,
      wallS: median(wall)!,
      aboveNodeS: above.length ? median(above) : undefined,
      runs: opts.runs,
    };
    opts.log(
      `  ${verb} at ${size}: ${out.cpuS.toFixed(3)} CPU-s (${out.aboveNodeS?.toFixed(3) ?? '—'} above node), ${out.wallS.toFixed(2)} s wall`,
    );
    rows.push(out);
  };
  await row(0, 'node -e 0', [process.execPath, '-e', '0']);
  try {
    for (const size of opts.sizes) {
      const dir = mkdtempSync(join(tmpdir(), 'berth-cpu-stack-'));
      const file = join(dir, 'compose.yaml');
      writeFileSync(file, toComposeYaml(generateStack('flat', size, [])));
      const written = Date.now();
      const project = `${session}-${size}`;
      const berth = (...a: string[]) => [process.execPath, BIN, '-p', project, '-f', file, ...a];
      try {
        opts.log(`${size} services: up (not measured) ...`);
        const up = await cpuTimed(berth('up', '-d'), env);
        if (up.code !== 0) throw new Error(`up at ${size}: exit ${up.code}: ${up.output.slice(-500)}`);
        // The cold up of 200 containers leaves the 2 cores at a load average of 20-30 for a minute, and CPU
        // time read under load is inflated too (`node -e 0` 0.16 s at load 45 against 0.11 quiet).
        opts.log(`  load average ${(await settled()).toFixed(1)} when measured`);
        // a file changed in the last 2 s is not trusted by a memo (src/inputs/journal.ts): the first call
        // of a row would write none, and the row would measure full calls
        await new Promise((r) => setTimeout(r, Math.max(0, written + 2500 - Date.now())));
        // as a user's repeated calls run: the first writes a memo (src/memo), the others are answered by it
        await row(size, 'config -q', berth('config', '-q'));
        await row(size, 'no-op up', berth('up', '-d'));
        // the full way, as a call whose memo no longer holds runs (the parse cache still warm)
        await row(size, 'config -q, full', berth('config', '-q'), { BERTH_NO_MEMO: '1' });
        await row(size, 'no-op up, full', berth('up', '-d'), { BERTH_NO_MEMO: '1' });
        await row(size, 'ps', berth('ps'));
      } finally {
        await cpuTimed(berth('down', '-v'), env).catch(() => undefined);
        await removeAll(docker, `${project}-`).catch(() => {});
        rmSync(dir, { recursive: true, force: true });
      }
    }
  } finally {
    rmSync(cache, { recursive: true, force: true });
  }
  return rows;
}

/** Wait (at most 3 minutes) for the 1-minute load average to fall to the core count; returns it. */
async function settled(deadlineMs = 180_000): Promise<number> {
  const end = Date.now() + deadlineMs;
  while (loadavg()[0]! > cpus().length && Date.now() < end) await new Promise((r) => setTimeout(r, 5_000));
  return loadavg()[0]!;
}

export function cpuTable(rows: CpuRow[]): string {
  const lines = [
    '| services | call | CPU s | − `node -e 0` run just before (median) | wall s |',
    '|---:|---|---:|---:|---:|',
  ];
  for (const r of rows)
    lines.push(
      `| ${r.size || '—'} | \`${r.verb}\` | ${r.cpuS.toFixed(3)} | ${r.aboveNodeS?.toFixed(3) ?? '—'} | ${r.wallS.toFixed(2)} |`,
    );
  return lines.join('\n');
}

/** Put `text` between `<!-- name -->` and `<!-- /name -->` in a file, appending the pair if missing. */
export function replaceSection(file: string, name: string, text: string): void {
  const open = `<!-- ${name} -->`;
  const close = `<!-- /${name} -->`;
  const old = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const i = old.indexOf(open);
  const j = old.indexOf(close);
  const block = `${open}\n${text}\n${close}`;
  writeFileSync(
    file,
    i >= 0 && j > i
      ? old.slice(0, i) + block + old.slice(j + close.length)
      : `${old.trimEnd()}\n\n${block}\n`,
  );
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      sizes: { type: 'string', default: '10,60,200' },
      runs: { type: 'string', default: '5' },
      out: { type: 'string' },
    },
  });
  const rows = await measureCpu({
    sizes: values.sizes.split(',').map(Number),
    runs: Number(values.runs),
    log: (s) => process.stdout.write(`${s}\n`),
  });
  const table = cpuTable(rows);
  process.stdout.write(`\n${table}\n`);
  if (values.out) {
    const when = new Date().toISOString().slice(0, 16).replace('T', ' ');
    replaceSection(
      resolve(values.out),
      'cpu',
      `### CPU seconds per call\n\nMedian of ${values.runs} runs, ${when} UTC, flat stacks, parse cache warm; \`node -e 0\` is the floor of any Node CLI. Measured by \`npm run bench:cpu\` (task-clock via perf stat, else user+sys via /usr/bin/time).\n\n${table}`,
    );
  }
}
