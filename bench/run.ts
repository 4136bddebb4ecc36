// `npm run bench`: berth against the engine floor, docker-compose and dockerode-compose on generated stacks.
// Flags: --quick (10 services, 3 runs), --runs N, --sizes 10,30,60, --shapes flat,layered,
// --tools floor,berth,baseline,compose,dcompose (baseline: BENCH_BASELINE=<built checkout>),
// --steps up,noop,recreate,down,config,cpu,logs,swarm,clients (cpu: CPU seconds per call, bench/cpu.ts; clients: `use` switch and data snapshot/restore of the
// demo; swarm: berth --target swarm against `docker stack deploy` on a
// single-node swarm, layered stacks; `--steps swarm` runs it alone, into bench/out/RESULTS-swarm.md), --out FILE,
// --no-build, --no-profile (skip the one profiled lifecycle per tool through a counting proxy), --load N (a
// stress-ng --cpu N background for the whole run).
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { type CpuRow, cpuTable, measureCpu } from './cpu.js';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import Docker from 'dockerode';
import { build } from 'esbuild';
import { toComposeYaml } from './compose-file.js';
import type { FloorSpec } from './floor.js';
import {
  type GenStack,
  generateStack,
  portsNeeded,
  recreateTarget,
  type Shape,
  withChangedService,
} from './gen.js';
import { freePorts } from './ports.js';
import { leaveSwarmIfCreated, swarmBench } from './swarm.js';
import { lastLines, timed } from './proc.js';
import { CountingProxy, type Profile, summarize } from './profile.js';
import {
  type Facts,
  median,
  Results,
  renderMarkdown,
  STEP_TITLES,
  STEPS,
  type Step,
  secs,
  targets,
} from './report.js';
import { allRunning, changed, describeLeft, leftovers, removeAll, type Snapshot, snapshot } from './state.js';
import { berthVerbs, makeTools, type StepFiles, type Tool, type ToolName } from './tools.js';

const ROOT = resolve(dirname(new URL(import.meta.url).pathname), '..');
const OUT = join(ROOT, 'bench/out');
// Compiled helper scripts live outside bench/ (not linted) but inside the checkout, so they resolve node_modules.
const BIN = join(ROOT, '.cache/bench');

const { values: flags } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    runs: { type: 'string' },
    sizes: { type: 'string' },
    shapes: { type: 'string', default: 'flat,layered' },
    tools: { type: 'string', default: 'floor,berth,compose,dcompose' },
    steps: { type: 'string', default: 'up,noop,recreate,down,config,cpu,logs,swarm,clients' },
    out: { type: 'string' },
    'no-build': { type: 'boolean', default: false },
    'no-profile': { type: 'boolean', default: false },
    load: { type: 'string' },
  },
});

const runs = Number(flags.runs ?? 3);
const sizes = (flags.sizes ?? (flags.quick ? '10' : '10,30,60')).split(',').map(Number);
const shapes = flags.shapes.split(',') as Shape[];
const wantTools = flags.tools.split(',') as ToolName[];
const wantSteps = new Set(flags.steps.split(','));
const swarmOnly = wantSteps.size === 1 && wantSteps.has('swarm');
const outFile = resolve(
  flags.out ??
    (swarmOnly
      ? join(OUT, 'RESULTS-swarm.md')
      : flags.quick
        ? join(OUT, 'RESULTS-quick.md')
        : join(ROOT, 'bench/RESULTS.md')),
);
const session = `bb-${randomBytes(2).toString('hex')}`;
const docker = new Docker();
const log = (s: string) => process.stdout.write(`${s}\n`);

let interrupted = false;
async function cleanupSession(): Promise<void> {
  await removeAll(docker, `${session}-`);
}
process.on('SIGINT', () => {
  if (interrupted) return;
  interrupted = true;
  log(`\ninterrupted: removing everything named ${session}-*`);
  // The child in flight got the same SIGINT; sweep once now and once after it has had time to exit.
  cleanupSession()
    .then(leaveSwarmIfCreated)
    .then(() => new Promise((r) => setTimeout(r, 1000)))
    .then(cleanupSession)
    .finally(() => process.exit(130));
});

async function prepare(): Promise<{ tools: ToolName[]; notes: string[]; berthConfig: boolean }> {
  const notes: string[] = [];
  mkdirSync(OUT, { recursive: true });
  // Plain .mjs, so the floor and dockerode-compose start like any node CLI (no tsx loader in their timings).
  await build({
    entryPoints: { floor: join(ROOT, 'bench/floor.ts'), dcompose: join(ROOT, 'bench/dcompose.ts') },
    outdir: BIN,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    logLevel: 'error',
  });
  if (!flags['no-build'] && wantTools.includes('berth')) {
    const b = await timed('npm', ['run', 'build', '--silent'], { ...process.env });
    if (b.code !== 0)
      notes.push(`\`npm run build\` reported errors (dist/ as emitted was used): ${lastLines(b.output, 2)}`);
  }
  const tools: ToolName[] = [];
  let berthConfig = false;
  for (const t of wantTools) {
    if (t === 'berth') {
      const v = await berthVerbs(ROOT);
      berthConfig = v.config;
      if (v.up && v.down) tools.push(t);
      else
        notes.push(
          `berth: not measured, its CLI has no ${[!v.up && '`up`', !v.down && '`down`'].filter(Boolean).join(' or ')} yet.`,
        );
    } else if (t === 'baseline') {
      const dir = process.env.BENCH_BASELINE;
      const v = dir ? await berthVerbs(dir) : { up: false, down: false };
      if (v.up && v.down) tools.push(t);
      else
        notes.push(
          'baseline: set BENCH_BASELINE to a built berth checkout (npm ci && npm run build) to compare.',
        );
    } else if (t === 'compose') {
      if ((await timed('docker-compose', ['version', '--short'])).code !== 0 && process.getuid?.() === 0) {
        log('docker-compose missing: apt-get install -y --no-install-recommends docker-compose');
        await timed('apt-get', ['install', '-y', '--no-install-recommends', 'docker-compose'], {
          ...process.env,
          DEBIAN_FRONTEND: 'noninteractive',
        });
      }
      if ((await timed('docker-compose', ['version', '--short'])).code === 0) tools.push(t);
      else
        notes.push(
          'docker-compose: not installed and could not be installed (`apt-get install docker-compose`).',
        );
    } else tools.push(t);
  }
  if ((await timed('docker', ['compose', 'version'])).code !== 0)
    notes.push(
      '`docker compose` v2: the plugin is not installed on this machine (not in Debian 12), so not measured.',
    );
  return { tools, notes, berthConfig };
}

function writeProjectFiles(project: string, stack: GenStack): StepFiles {
  const dir = join(OUT, project);
  mkdirSync(dir, { recursive: true });
  const compose = join(dir, 'compose.yaml');
  const floor = join(dir, 'floor.json');
  writeFileSync(compose, toComposeYaml(stack));
  writeFileSync(floor, JSON.stringify({ project, stack } satisfies FloorSpec));
  return {
    compose,
    floor,
    edit() {
      const edited = withChangedService(stack, recreateTarget(stack), '2');
      writeFileSync(compose, toComposeYaml(edited));
      writeFileSync(floor, JSON.stringify({ project, stack: edited } satisfies FloorSpec));
    },
  };
}

class StepFailed extends Error {}

/**
 * One tool's lifecycle on one stack within one run: cold up, no-op up, recreate, down. The driver calls the
 * steps of all tools' lanes in turn (every tool's `up`, then every tool's no-op, ...), so the tools compared in
 * one step run seconds apart, under the same load from whatever else the machine is doing.
 */
class Lane {
  private readonly f: StepFiles;
  private readonly services: string[];
  private dead = false;
  private before?: Snapshot;

  constructor(
    readonly tool: Tool,
    private readonly stackName: string,
    private readonly stack: GenStack,
    readonly project: string,
    private readonly results: Results,
    private readonly secondUpBroken: Map<ToolName, string>,
    private readonly strandedNetworks: string[],
  ) {
    this.f = writeProjectFiles(project, stack);
    this.services = stack.services.map((s) => s.name);
  }

  private record(step: Step, ms: number, problem: string, output = ''): void {
    const cell = this.results.cell(this.stackName, this.tool.name, step);
    const verdict = problem ? `FAILED: ${problem}${output ? ` — ${lastLines(output)}` : ''}` : 'ok';
    log(
      `  ${this.stackName.padEnd(11)} ${this.tool.name.padEnd(8)} ${step.padEnd(8)} ${secs(ms).padStart(8)}  ${verdict}`,
    );
    if (problem) {
      cell.failures.push(`${problem}${output ? ` (${lastLines(output)})` : ''}`);
      throw new StepFailed(problem);
    }
    cell.samples.push(ms);
  }

  private markNa(why: string): void {
    for (const step of ['noop', 'recreate'] as const)
      if (wantSteps.has(step)) this.results.cell(this.stackName, this.tool.name, step).na = why;
  }

  async run(step: Step): Promise<void> {
    if (this.dead) return;
    try {
      await this.step(step);
    } catch (err) {
      // A failed step leaves the project in an unknown state: this lane stops here and is cleaned up.
      this.dead = true;
      if (!(err instanceof StepFailed)) throw err;
    }
  }

  private async step(step: Step): Promise<void> {
    const { tool, project, f, services } = this;
    if (step === 'up') {
      const up = await tool.up(project, f);
      if (up.code !== 0) this.record('up', up.ms, `exit ${up.code}`, up.output);
      this.before = await snapshot(docker, tool.labels, project);
      this.record('up', up.ms, allRunning(this.before, services));
      return;
    }
    if (step === 'noop' || step === 'recreate') {
      const broken = this.secondUpBroken.get(tool.name);
      if (broken) return this.markNa(broken);
      if (step === 'recreate') f.edit();
      const res = await tool.up(project, f);
      if (step === 'noop' && res.code !== 0 && tool.name === 'dcompose') {
        // A known limit of dockerode-compose: it creates every container by name without looking first.
        const why = res.output.includes('409')
          ? 'cannot run `up` twice: it creates every container by name without looking first, so the second `up` fails with HTTP 409 (name already in use)'
          : `cannot run \`up\` twice: ${lastLines(res.output, 1)}`;
        this.secondUpBroken.set(tool.name, why);
        this.markNa(why);
        log(`  ${this.stackName.padEnd(11)} ${tool.name.padEnd(8)} noop     n/a: ${why}`);
        return;
      }
      if (res.code !== 0) this.record(step, res.ms, `exit ${res.code}`, res.output);
      const after = await snapshot(docker, tool.labels, project);
      const moved = changed(this.before!, after);
      this.before = after;
      const target = recreateTarget(this.stack);
      const problem =
        allRunning(after, services) ||
        (step === 'noop'
          ? moved.length
            ? `changed ${moved.length} containers (${moved.slice(0, 3).join(', ')}…)`
            : ''
          : moved.length === 1 && moved[0] === target
            ? ''
            : `changed [${moved.slice(0, 4).join(', ')}] not [${target}]`);
      this.record(step, res.ms, problem);
      return;
    }
    const down = await tool.down(project, f);
    const lingering = await leftovers(docker, project);
    if (
      down.code !== 0 &&
      down.output.includes('has active endpoints') &&
      lingering.containers.length + lingering.volumes.length === 0
    ) {
      // dockerd 20.10 keeps a phantom endpoint now and then (moby/moby#43286): the tool removed everything it
      // could and the engine refused the network. The time counts; the run is flagged, not failed.
      this.results.cell(this.stackName, tool.name, 'down').engineFlakes++;
      this.strandedNetworks.push(...lingering.networks);
      log(
        `  ${this.stackName.padEnd(11)} ${tool.name.padEnd(8)} down     ${secs(down.ms).padStart(8)}  engine kept a phantom endpoint (moby#43286)`,
      );
      this.results.cell(this.stackName, tool.name, 'down').samples.push(down.ms);
      return;
    }
    if (down.code !== 0) this.record('down', down.ms, `exit ${down.code}`, down.output);
    const left = describeLeft(lingering);
    this.record('down', down.ms, left && `left ${left}`);
  }

  async cleanup(): Promise<void> {
    await removeAll(docker, this.project);
    rmSync(join(OUT, this.project), { recursive: true, force: true });
  }
}

/** Image pulls on the engine while the bench runs: nobody may pull (there is no registry). */
async function watchPulls(): Promise<{ pulled: () => string[]; stop: () => void }> {
  const pulled: string[] = [];
  const stream = (await docker.getEvents({
    filters: JSON.stringify({ type: ['image'] }),
  })) as NodeJS.ReadableStream & { destroy(): void };
  let buf = '';
  stream.on('data', (b: Buffer) => {
    buf += b.toString();
    const lines = buf.split('\n');
    buf = lines.pop() ?? '';
    for (const line of lines) {
      try {
        const e = JSON.parse(line) as { Action?: string; Actor?: { ID?: string } };
        // Checked here rather than in the filter: the engine's event filters are easy to get silently wrong.
        if (e.Action === 'pull') pulled.push(e.Actor?.ID ?? '?');
      } catch {}
    }
  });
  return { pulled: () => pulled, stop: () => stream.destroy() };
}

async function configBench(
  stacks: Array<[string, GenStack]>,
  berthConfig: boolean,
  tools: ToolName[],
): Promise<Results> {
  const r = new Results();
  const cfgTools = (['berth', 'compose'] as const).filter(
    (t) => tools.includes(t) || (t === 'berth' && berthConfig && wantTools.includes('berth')),
  );
  if (!wantSteps.has('config') || cfgTools.length === 0) return r;
  const berthBin = join(ROOT, 'bin/berth.js');
  for (const [name, stack] of stacks) {
    const project = `${session}-cfg`;
    const f = writeProjectFiles(project, stack);
    for (let i = 0; i < runs; i++) {
      for (const t of i % 2 ? [...cfgTools].reverse() : cfgTools) {
        if (t === 'berth' && !berthConfig) continue;
        const res =
          t === 'berth'
            ? await timed(process.execPath, [berthBin, '-f', f.compose, '-p', project, 'config'], {
                ...process.env,
                NO_COLOR: '1',
              })
            : await timed('docker-compose', ['-f', f.compose, '-p', project, 'config']);
        const cell = r.cell(name, t, 'config');
        if (res.code === 0) cell.samples.push(res.ms);
        else cell.failures.push(`exit ${res.code} (${lastLines(res.output)})`);
        log(
          `  ${name.padEnd(11)} ${t.padEnd(8)} config   ${secs(res.ms).padStart(8)}  ${res.code === 0 ? 'ok' : 'FAILED'}`,
        );
      }
    }
    rmSync(join(OUT, project), { recursive: true, force: true });
  }
  return r;
}

/**
 * One lifecycle per tool on the largest stack through the counting proxy (DOCKER_HOST for the child only), and
 * the bare start-up of each CLI: where the time goes, for whoever tunes berth. Not part of the medians.
 */
async function profilePass(
  stackName: string,
  stack: GenStack,
  tools: ToolName[],
  toolImpl: Record<ToolName, Tool>,
): Promise<string[]> {
  const L: string[] = [];
  const sock = join(OUT, `${session}-proxy.sock`);
  const proxy = new CountingProxy(sock);
  await proxy.start();
  const saved = process.env.DOCKER_HOST;
  const rows: Array<[ToolName, Step, Profile]> = [];
  const failed: string[] = [];
  try {
    process.env.DOCKER_HOST = `unix://${sock}`;
    for (const t of tools.filter((x) => x !== 'dcompose')) {
      const project = `${session}-profile-${t}`;
      const f = writeProjectFiles(project, stack);
      try {
        for (const step of STEPS) {
          proxy.calls = [];
          if (step === 'recreate') f.edit();
          const t0 = performance.now();
          const res = step === 'down' ? await toolImpl[t].down(project, f) : await toolImpl[t].up(project, f);
          rows.push([t, step, summarize(proxy.calls, t0, res.ms)]);
          if (res.code !== 0) {
            failed.push(`${t} ${step} exited ${res.code} under the proxy: ${lastLines(res.output, 2)}`);
            log(`  profile: ${failed.at(-1)}`);
            break;
          }
        }
      } finally {
        process.env.DOCKER_HOST = saved;
        await removeAll(docker, project);
        rmSync(join(OUT, project), { recursive: true, force: true });
        process.env.DOCKER_HOST = `unix://${sock}`;
      }
    }
  } finally {
    if (saved === undefined) delete process.env.DOCKER_HOST;
    else process.env.DOCKER_HOST = saved;
    await proxy.stop();
  }
  L.push(
    `One lifecycle per tool on \`${stackName}\` through a counting proxy in front of the engine socket.`,
  );
  L.push(
    '"before 1st call" is process start-up plus parsing; "after last answer" is work after the engine is done.',
    '',
  );
  L.push(
    '"idle" is time between the first call and the last answer with no request outstanding (the tool computing ' +
      'or waiting on itself); "peak" is the most requests outstanding at once.',
    '',
  );
  L.push(
    '| tool | step | total | before 1st call | API calls | peak | idle | after last answer | slowest calls | calls by kind |',
  );
  L.push('|---|---|---:|---:|---:|---:|---:|---:|---|---|');
  for (const [t, step, p] of rows) {
    const kinds = p.byKind
      .slice(0, 7)
      .map(([k, n]) => `${k} ×${n}`)
      .join(', ');
    L.push(
      `| ${t} | ${STEP_TITLES[step]} | ${secs(p.totalMs)} | ${secs(p.beforeFirstCallMs)} | ${p.calls} | ${p.maxInFlight} | ${secs(p.idleMs)} | ${secs(p.afterLastAnswerMs)} | ${p.slowest.map(([k, ms]) => `${k} ${secs(ms)}`).join(', ')} | ${kinds} |`,
    );
  }
  L.push('', ...failed.map((f) => `- ${f}`), '');
  const startup = async (cmd: string, args: string[]) => {
    const xs: number[] = [];
    for (let i = 0; i < 5; i++) xs.push((await timed(cmd, args)).ms);
    return median(xs)!;
  };
  const bare = await startup(process.execPath, ['-e', '']);
  const parts = [`\`node -e ""\` ${secs(bare)}`];
  if (tools.includes('berth'))
    parts.push(
      `\`berth --version\` ${secs(await startup(process.execPath, [join(ROOT, 'bin/berth.js'), '--version']))}`,
    );
  parts.push(
    `\`node floor.mjs\` (usage error, dockerode loaded) ${secs(await startup(process.execPath, [join(BIN, 'floor.mjs')]))}`,
  );
  if (tools.includes('compose'))
    parts.push(`\`docker-compose version\` ${secs(await startup('docker-compose', ['version']))}`);
  L.push(`Process start-up alone (median of 5): ${parts.join('; ')}.`);
  for (const l of L) log(l);
  return L;
}

/** The spec and logs engineers' own benches (bench/config.ts, bench/logs.ts), when they exist. */
async function peerBenches(): Promise<string[]> {
  const out: string[] = [];
  const fmt = (o: Record<string, number>) =>
    Object.entries(o)
      .map(([k, v]) => `${k}: ${Number.isInteger(v) ? v : v.toFixed(3)}`)
      .join(', ');
  for (const [file, fn, title, step] of [
    ['config.ts', 'benchConfig', 'bench/config.ts (spec)', 'config'],
    ['logs.ts', 'benchLogs', 'bench/logs.ts (logs)', 'logs'],
    [
      'clients.ts',
      'benchClients',
      'bench/clients.ts (demo: warm `use` vs the engine floor, `snapshot --data`, `restore`; seconds, load average)',
      'clients',
    ],
  ] as const) {
    if (!wantSteps.has(step)) continue;
    if (!existsSync(join(ROOT, 'bench', file))) {
      out.push(`- ${title}: not available (no such file yet).`);
      continue;
    }
    try {
      const mod = (await import(`./${file}`)) as Record<
        string,
        (runs: number) => Promise<Record<string, number>>
      >;
      const res = await mod[fn]!(runs);
      out.push(`- ${title}: ${fmt(res)}`);
      log(`  ${title}: ${fmt(res)}`);
    } catch (err) {
      out.push(`- ${title}: not available (${(err as Error).message.split('\n')[0]}).`);
    }
  }
  return out;
}

/**
 * `--load N`: a fixed CPU background for the whole run (`stress-ng --cpu N`), started and stopped here, so a
 * run "under load" is the same load each time instead of whatever else the machine does.
 */
function startLoad(): ChildProcess | undefined {
  if (!flags.load) return undefined;
  const child = spawn('stress-ng', ['--cpu', String(Number(flags.load)), '--quiet'], { stdio: 'ignore' });
  child.on('error', (err) => log(`bench: stress-ng did not start: ${err.message}`));
  // however the bench ends (an error, Ctrl-C), the background goes with it
  process.on('exit', () => child.kill('SIGTERM'));
  return child;
}

async function main(): Promise<void> {
  const t0 = performance.now();
  const load = startLoad();
  try {
    await measured(t0);
  } finally {
    if (load?.pid) load.kill('SIGTERM');
  }
}

async function measured(t0: number): Promise<void> {
  const loadAtStart = loadavg()
    .map((x) => x.toFixed(2))
    .join(', ');
  const { tools, notes, berthConfig } = await prepare();
  const toolImpl = makeTools(ROOT, BIN);
  const pulls = await watchPulls();
  // Each tool's project lives alongside the others' during a run, so each gets its own host ports.
  const perTool = Math.max(1, ...sizes.map((n) => portsNeeded('layered', n)));
  const ports = await freePorts(docker, perTool * tools.length);
  const portsOf = (t: ToolName) => {
    const i = Math.max(0, tools.indexOf(t));
    return ports.slice(i * perTool, (i + 1) * perTool);
  };
  log(
    `bench session ${session}: tools ${tools.join(', ')}; sizes ${sizes.join(', ')}; ${runs} runs; ports ${ports[0]}–${ports.at(-1)}`,
  );

  const stacks: Array<[string, Shape, number]> = [];
  for (const shape of shapes) for (const size of sizes) stacks.push([`${shape} ${size}`, shape, size]);
  const stackOf = ([, shape, size]: [string, Shape, number]) =>
    generateStack(shape, size, portsOf(tools[0] ?? 'floor'));

  // The swarm row: layered stacks of the sizes asked for, up to 30 (a swarm deploy of 60 takes minutes here).
  const runSwarm = async (): Promise<string[]> => {
    if (!wantSteps.has('swarm')) return [];
    const swarmSizes = sizes.filter((n) => n <= 30);
    log(`swarm: layered ${swarmSizes.join(', ')}, ${runs} run(s)`);
    return swarmBench({
      docker,
      root: ROOT,
      outDir: OUT,
      session,
      sizes: swarmSizes,
      runs,
      ports: portsOf(tools[0] ?? 'floor'),
      log,
      interrupted: () => interrupted,
    });
  };
  if (swarmOnly) {
    const md = [
      '# berth on Docker Swarm: benchmark',
      '',
      `Generated by \`npm run bench -- --steps swarm\` on ${new Date().toISOString().replace('T', ' ').slice(0, 16)} UTC; ${cpus().length} cores, load average at start ${loadAtStart}; Docker engine ${(await docker.version()).Version}; berth at ${execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT }).toString().trim()}.`,
      '',
      ...(await runSwarm()),
      '',
    ].join('\n');
    pulls.stop();
    writeFileSync(outFile, md);
    log(`\n${md}\nwritten to ${outFile}`);
    return;
  }

  const results = new Results();
  const secondUpBroken = new Map<ToolName, string>();
  const strandedNetworks: string[] = [];
  const lifecycleSteps = STEPS.filter((s) => wantSteps.has(s));
  try {
    if (lifecycleSteps.length && wantSteps.has('up')) {
      for (const [name, shape, size] of stacks) {
        for (let run = 0; run < runs; run++) {
          // Rotate which tool goes first so no tool always runs on the quietest (or busiest) engine.
          const order = tools.map((_, i) => tools[(i + run) % tools.length]!);
          const lanes = order.map(
            (t) =>
              new Lane(
                toolImpl[t],
                name,
                generateStack(shape, size, portsOf(t)),
                `${session}-${name.replace(' ', '')}-r${run + 1}-${t}`,
                results,
                secondUpBroken,
                strandedNetworks,
              ),
          );
          try {
            for (const step of lifecycleSteps)
              for (const lane of lanes) {
                if (interrupted) return;
                await lane.run(step);
              }
          } finally {
            await Promise.all(lanes.map((l) => l.cleanup()));
          }
        }
      }
    }
    const built = stacks.map((st): [string, GenStack] => [st[0], stackOf(st)]);
    const config = await configBench(built, berthConfig, tools);
    const extra = await peerBenches();
    const swarmRows = await runSwarm();
    const cpuRows = wantSteps.has('cpu') ? await measureCpu({ sizes, runs: Math.max(runs, 5), log }) : [];
    const [profName, profStack] = built.at(-1)!;
    const profile = flags['no-profile'] ? [] : await profilePass(profName, profStack, tools, toolImpl);

    const largestSize = Math.max(...sizes);
    const largest = shapes.map((s) => `${s} ${largestSize}`);
    const cfgLargest = Math.max(
      ...largest.map((s) => config.median(s, 'berth', 'config')).filter((x): x is number => x !== undefined),
    );
    const pkg = (p: string) =>
      JSON.parse(readFileSync(join(ROOT, 'node_modules', p, 'package.json'), 'utf8')).version;
    const composeVersion = (await timed('docker-compose', ['version', '--short'])).output.trim();
    const facts: Facts = {
      date: `${new Date().toISOString().replace('T', ' ').slice(0, 16)} UTC`,
      mode: flags.quick ? 'quick' : 'full',
      runs,
      cores: cpus().length,
      loadAtStart,
      docker: (await docker.version()).Version,
      node: process.version,
      compose: composeVersion ? `docker-compose ${composeVersion}` : 'docker-compose missing',
      dcompose: pkg('dockerode-compose'),
      berthCommit: execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT }).toString().trim(),
      pulls: pulls.pulled(),
      durationS: (performance.now() - t0) / 1000,
    };
    if (strandedNetworks.length)
      notes.push(
        `${strandedNetworks.length} network(s) kept a phantom endpoint after their tool's \`down\` (moby/moby#43286) ` +
          "and stay on the engine until dockerd restarts; each holds one of the engine's ~31 default address pools.",
      );
    if (largestSize !== 60)
      notes.push(
        `The targets name 60 services; this run's largest stack has ${largestSize}, so they are checked there.`,
      );
    if (flags.load)
      notes.push(
        `Under load: the whole run had a \`stress-ng --cpu ${Number(flags.load)}\` background, started and stopped by the bench (\`--load ${Number(flags.load)}\`).`,
      );
    notes.push(
      'Stacks: `flat N` = N independent services; `layered N` = lb → web → app → db → store (10/20/40/20/10 %), ' +
        'each upper service depending on several of the layer below (fan-out), lb and web publishing one port each ' +
        'on 127.0.0.1, db and store with one named volume each. All busybox (`berth/busybox:latest`, ' +
        '`pull_policy: never`), `sleep` under `init: true` so stops are immediate. The recreate edits the ' +
        'environment of `app-1` (layered) or `svc-1` (flat).',
    );
    const md = renderMarkdown({
      facts,
      results,
      stacks: stacks.map(([n]) => n),
      tools,
      config,
      configStacks: stacks.map(([n]) => n),
      targets: targets(
        results,
        stacks.map(([n]) => n),
        largest,
        Number.isFinite(cfgLargest) ? cfgLargest : undefined,
      ),
      notes,
      extra,
      profile,
      swarm: swarmRows,
    });
    const full = cpuRows.length ? withCpu(md, cpuRows) : md;
    writeFileSync(outFile, full);
    log(`\n${full.split('## Raw samples')[0]}`);
    log(`written to ${outFile}`);
  } finally {
    pulls.stop();
    await cleanupSession();
    const left = describeLeft(await leftovers(docker, `${session}-`));
    if (left)
      log(
        `WARNING: could not remove ${left} of session ${session} (networks with a phantom endpoint, moby/moby#43286, ` +
          'go only when dockerd restarts)',
      );
  }
}

/**
 * The CPU seconds per call (bench/cpu.ts) before the raw samples, with issue 13's target: ≤ 0.15 CPU-s for
 * `config -q` and a no-op `up` at 60 services (checked at the largest size measured when 60 is not).
 */
function withCpu(md: string, rows: CpuRow[]): string {
  const size = rows.some((r) => r.size === 60) ? 60 : Math.max(...rows.map((r) => r.size));
  const check = (verb: CpuRow['verb']) => {
    const r = rows.find((x) => x.size === size && x.verb === verb);
    return r ? `\`${verb}\` ${r.cpuS.toFixed(3)} s ${r.cpuS <= 0.15 ? 'meets' : 'misses'} ≤ 0.15` : '';
  };
  const section = [
    '## CPU seconds per call',
    '',
    `Repeated calls (the first writes a memo) and the full way (\`BERTH_NO_MEMO=1\`), each paired with a \`node -e 0\` run just before it. At ${size} services: ${[check('config -q'), check('no-op up')].filter(Boolean).join('; ')} (a bare \`node -e 0\`: ${rows.find((r) => r.verb === 'node -e 0')?.cpuS.toFixed(3)} s; CPU time reads higher on a loaded machine).`,
    '',
    cpuTable(rows),
    '',
    '',
  ].join('\n');
  const at = md.indexOf('## Raw samples');
  return at < 0 ? `${md}\n${section}` : md.slice(0, at) + section + md.slice(at);
}

main().catch(async (err) => {
  process.stderr.write(`bench: ${err?.stack ?? err}\n`);
  await cleanupSession().catch(() => {});
  process.exit(1);
});
