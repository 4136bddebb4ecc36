// Medians, ratios against the floor, the targets from issue #4, and the markdown written to bench/RESULTS.md.
import { TOOL_TITLES, type ToolName } from './tools.js';

export type Step = 'up' | 'noop' | 'recreate' | 'down';
export const STEPS: Step[] = ['up', 'noop', 'recreate', 'down'];
export const STEP_TITLES: Record<Step, string> = {
  up: 'cold `up`',
  noop: 'no-op `up`',
  recreate: 'one-service recreate',
  down: '`down`',
};

export interface Cell {
  samples: number[];
  failures: string[];
  /** Runs whose network removal hit the engine's phantom-endpoint bug (moby/moby#43286); their time counts. */
  engineFlakes: number;
  na?: string;
}

export class Results {
  readonly cells = new Map<string, Cell>();
  cell(stack: string, tool: string, step: string): Cell {
    const key = `${stack}|${tool}|${step}`;
    let c = this.cells.get(key);
    if (!c) {
      c = { samples: [], failures: [], engineFlakes: 0 };
      this.cells.set(key, c);
    }
    return c;
  }
  get(stack: string, tool: string, step: string): Cell | undefined {
    return this.cells.get(`${stack}|${tool}|${step}`);
  }
  /** Median of the runs whose checks passed (failed runs are reported apart, never averaged in). */
  median(stack: string, tool: string, step: string): number | undefined {
    const c = this.get(stack, tool, step);
    return c ? median(c.samples) : undefined;
  }
}

export function median(xs: number[]): number | undefined {
  if (xs.length === 0) return undefined;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export const secs = (ms: number) =>
  ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${(ms / 1000).toFixed(2)} s`;
const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}×`;

function cellText(r: Results, stack: string, tool: string, step: string, floor: number | undefined): string {
  const c = r.get(stack, tool, step);
  if (!c) return '—';
  if (c.na) return `n/a¹`;
  const n = c.failures.length + c.samples.length;
  const failed = c.failures.length ? ` FAILED² in ${c.failures.length} of ${n}` : '';
  const m = median(c.samples);
  const flaked = c.engineFlakes ? `³` : '';
  if (m === undefined) return failed.trim() || '—';
  if (flaked)
    return `${tool === 'floor' || floor === undefined ? secs(m) : `${secs(m)} (${ratio(m, floor)})`}${flaked}${failed}`;
  if (tool === 'floor' || floor === undefined) return `${secs(m)}${failed}`;
  return `${secs(m)} (${ratio(m, floor)})${failed}`;
}

export interface Target {
  what: string;
  limit: string;
  measured: string;
  pass: boolean | undefined;
}

/** Targets from issue #4, evaluated on the largest measured stacks where the issue names 60 services. */
export function targets(r: Results, stacks: string[], largest: string[], config?: number): Target[] {
  const out: Target[] = [];
  const worst = (step: Step, only: string[]) => {
    let w: { stack: string; x: number } | undefined;
    for (const s of only) {
      const b = r.median(s, 'berth', step);
      const f = r.median(s, 'floor', step);
      if (b === undefined || f === undefined) return undefined;
      if (!w || b / f > w.x) w = { stack: s, x: b / f };
    }
    return w;
  };
  const add = (what: string, step: Step, only: string[], limit: number) => {
    const failedOn = only.filter((st) => r.get(st, 'berth', step)?.failures.length);
    if (failedOn.length) {
      out.push({
        what,
        limit: `≤ ${limit.toFixed(2)}× floor`,
        measured: `check failed on ${failedOn.join(', ')}`,
        pass: false,
      });
      return;
    }
    const w = worst(step, only);
    out.push({
      what,
      limit: `≤ ${limit.toFixed(2)}× floor`,
      measured: w ? `${w.x.toFixed(2)}× (worst: ${w.stack})` : 'not measured',
      pass: w ? w.x <= limit : undefined,
    });
  };
  add('cold `up`, every stack', 'up', stacks, 1.1);
  add(`no-op \`up\` at ${largest.join(', ')}`, 'noop', largest, 1.2);
  add('one-service recreate, every stack', 'recreate', stacks, 1.2);
  add('`down`, every stack', 'down', stacks, 1.1);
  for (const s of largest) {
    const b = r.median(s, 'berth', 'noop');
    const c = r.median(s, 'compose', 'noop');
    out.push({
      what: `no-op \`up\` vs docker-compose at ${s}`,
      limit: '≥ 4× faster',
      measured: b !== undefined && c !== undefined ? `${(c / b).toFixed(1)}× faster` : 'not measured',
      pass: b !== undefined && c !== undefined ? c / b >= 4 : undefined,
    });
  }
  out.push({
    what: `\`berth config\` (full validation) at ${largest.map((s) => s.replace(/^\w+ /, '')).join('/')} services`,
    limit: '< 0.25 s',
    measured: config !== undefined ? secs(config) : 'not measured',
    pass: config !== undefined ? config < 250 : undefined,
  });
  return out;
}

/** The peers' figures quoted in issue #4, next to this machine's, to tell a slow machine from a slow tool. */
export function calibration(r: Results, stacks: string[]): string[] {
  const L = ['| figure | issue #4 (peers) | this run |', '|---|---|---|'];
  const fmt = (x: number | undefined) => (x === undefined ? '—' : secs(x));
  const sizes = (n: number) => stacks.filter((s) => s.endsWith(` ${n}`));
  for (const s of sizes(10))
    L.push(`| floor cold \`up\`, ${s} | about 2 s | ${fmt(r.median(s, 'floor', 'up'))} |`);
  for (const s of sizes(60))
    L.push(`| floor cold \`up\`, ${s} | 8–9 s | ${fmt(r.median(s, 'floor', 'up'))} |`);
  for (const s of stacks) {
    const c = r.median(s, 'compose', 'up');
    const f = r.median(s, 'floor', 'up');
    L.push(
      `| docker-compose cold \`up\` / floor, ${s} | 1.2–1.3× | ${c && f ? `${(c / f).toFixed(2)}×` : '—'} |`,
    );
  }
  for (const s of stacks)
    L.push(`| floor no-op \`up\`, ${s} | about 0.3 s | ${fmt(r.median(s, 'floor', 'noop'))} |`);
  for (const s of sizes(60))
    L.push(`| docker-compose no-op \`up\`, ${s} | 1.35 s | ${fmt(r.median(s, 'compose', 'noop'))} |`);
  return L;
}

export interface Facts {
  date: string;
  mode: string;
  runs: number;
  cores: number;
  loadAtStart: string;
  docker: string;
  node: string;
  compose: string;
  dcompose: string;
  berthCommit: string;
  /** Images pulled on the engine during the run (by anyone). */
  pulls: string[];
  durationS: number;
}

export function renderMarkdown(opts: {
  facts: Facts;
  results: Results;
  stacks: string[];
  tools: ToolName[];
  config: Results;
  configStacks: string[];
  targets: Target[];
  notes: string[];
  extra: string[];
  profile: string[];
  /** The swarm row (bench/swarm.ts), when it ran. */
  swarm?: string[];
}): string {
  const { facts: f, results: r, stacks, tools } = opts;
  const L: string[] = [];
  L.push('# berth benchmark results', '');
  L.push(
    `Generated by \`npm run bench${f.mode === 'quick' ? ' -- --quick' : ''}\` on ${f.date} (${f.durationS.toFixed(0)} s).`,
    '',
  );
  L.push(
    `Machine: ${f.cores} cores, load average at start ${f.loadAtStart}; Docker engine ${f.docker}; Node ${f.node}; ` +
      `${f.compose}; dockerode-compose ${f.dcompose}; berth at ${f.berthCommit}. ` +
      `Pulls of the bench image during the run: ${f.pulls.filter((x) => x.includes('berth/busybox')).length} ` +
      `(other pulls on the shared engine, by other users' tests: ${f.pulls.filter((x) => !x.includes('berth/busybox')).length}).`,
    '',
  );
  L.push(
    `Medians of ${f.runs} runs. Tools are interleaved step by step: in each run every tool's cold \`up\`, then ` +
      "every tool's no-op `up`, and so on, all tools' projects side by side; the starting tool rotates per run. Each cell " +
      'is the wall time of one CLI process (start-up included) and its ratio to the floor. Every step was ' +
      'checked after it ran: all services running after `up`; no container ID changed by the no-op `up`; exactly ' +
      'the edited service changed by the recreate; nothing of the project left after `down -v`.',
    '',
  );
  L.push('## Targets (issue #4)', '');
  L.push('| target | limit | measured | |', '|---|---|---|---|');
  for (const t of opts.targets)
    L.push(
      `| ${t.what} | ${t.limit} | ${t.measured} | ${t.pass === undefined ? '—' : t.pass ? 'PASS' : 'MISS'} |`,
    );
  L.push('');
  L.push('## Lifecycle', '');
  L.push(`| stack | step | ${tools.map((t) => TOOL_TITLES[t]).join(' | ')} |`);
  L.push(`|---|---|${tools.map(() => '---:').join('|')}|`);
  for (const s of stacks) {
    for (const step of STEPS) {
      if (!tools.some((t) => r.get(s, t, step))) continue;
      const floor = r.median(s, 'floor', step);
      L.push(
        `| ${s} | ${STEP_TITLES[step]} | ${tools.map((t) => cellText(r, s, t, step, floor)).join(' | ')} |`,
      );
    }
  }
  L.push('');
  const cfgTools = ['berth', 'compose'] as const;
  if (opts.configStacks.some((s) => cfgTools.some((t) => opts.config.get(s, t, 'config')))) {
    L.push('## `config` (load, interpolate, validate, normalize, print)', '');
    L.push('| stack | berth | docker-compose 1.29 | berth / docker-compose |');
    L.push('|---|---:|---:|---:|');
    for (const s of opts.configStacks) {
      const b = opts.config.median(s, 'berth', 'config');
      const c = opts.config.median(s, 'compose', 'config');
      L.push(
        `| ${s} | ${cellText(opts.config, s, 'berth', 'config', undefined)} | ${cellText(opts.config, s, 'compose', 'config', undefined)} | ${b !== undefined && c !== undefined ? ratio(b, c) : '—'} |`,
      );
    }
    L.push('');
  }
  L.push('## This machine against the peer figures in issue #4', '', ...calibration(r, stacks), '');
  const failures = [...r.cells.entries(), ...opts.config.cells.entries()].filter(
    ([, c]) => c.failures.length,
  );
  const nas = new Map<string, string>();
  for (const [k, c] of r.cells) if (c.na) nas.set(`${k.split('|')[1]}: ${c.na}`, '');
  const flakes = [...r.cells.entries()].filter(([, c]) => c.engineFlakes);
  if (nas.size || failures.length || flakes.length) {
    L.push('## Not measured, failed, flagged', '');
    for (const k of nas.keys())
      L.push(
        `- ¹ ${TOOL_TITLES[k.split(':')[0] as ToolName] ?? k.split(':')[0]}: ${k.slice(k.indexOf(':') + 2)}`,
      );
    for (const [k, c] of failures) L.push(`- ² ${k.replaceAll('|', ' / ')}: ${c.failures[0]}`);
    for (const [k, c] of flakes)
      L.push(
        `- ³ ${k.replaceAll('|', ' / ')}: in ${c.engineFlakes} run(s) the tool removed every container but the engine refused ` +
          'to remove the network ("has active endpoints" with no endpoint listed: dockerd 20.10 bug moby/moby#43286, ' +
          'cleared only by restarting dockerd). The time counts; the network stays behind.',
      );
    L.push('');
  }
  if (opts.extra.length) L.push("## From the spec and logs engineers' benches", '', ...opts.extra, '');
  if (opts.swarm?.length) L.push('## On Docker Swarm (`--steps swarm`)', '', ...opts.swarm, '');
  if (opts.profile.length) L.push('## Profile (not in the medians)', '', ...opts.profile, '');
  if (opts.notes.length) L.push('## Notes', '', ...opts.notes.map((n) => `- ${n}`), '');
  L.push('## Raw samples (seconds)', '', '<details><summary>every timed step</summary>', '', '```');
  for (const [k, c] of [...r.cells.entries(), ...opts.config.cells.entries()])
    L.push(
      `${k.padEnd(36)} ${c.na ? `n/a: ${c.na}` : c.samples.map((x) => (x / 1000).toFixed(3)).join(' ')}`,
    );
  L.push('```', '', '</details>', '');
  return L.join('\n');
}
