// The swarm row of `npm run bench` (`--steps swarm` runs it alone): berth --target swarm against
// `docker stack deploy -c` on the same generated file, on a single-node swarm of the engine. The bench makes the
// engine a swarm manager only when it is in no swarm, and leaves that swarm afterwards; a swarm it found stays.
//
// The file is the one both tools accept: `docker stack deploy` reads the Compose v3 schema (depends_on as a list,
// no pull_policy), ports are published in host mode (this kernel has no IPVS for the routing mesh), and the image
// is named by its ID so no node (and no `--resolve-image`) asks a public registry for it.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { stringify } from 'yaml';
import { BENCH_COMMAND, BENCH_IMAGE, type GenStack, generateStack } from './gen.js';
import { lastLines, type Timed, timed } from './proc.js';
import { median, secs } from './report.js';

type SwarmTool = 'berth' | 'stack';
const TITLES: Record<SwarmTool, string> = {
  berth: 'berth --target swarm',
  stack: '`docker stack deploy`',
};

export function toSwarmComposeYaml(stack: GenStack, imageId: string): string {
  const services: Record<string, unknown> = {};
  for (const s of stack.services) {
    const svc: Record<string, unknown> = {
      image: imageId,
      init: true,
      command: BENCH_COMMAND,
      environment: s.environment,
    };
    if (s.dependsOn.length > 0) svc.depends_on = s.dependsOn;
    if (s.ports.length > 0)
      svc.ports = s.ports.map((p) => ({ target: p.container, published: p.host, mode: 'host' }));
    const vols = Object.entries(s.volumes);
    if (vols.length > 0) svc.volumes = vols.map(([v, target]) => `${v}:${target}`);
    services[s.name] = svc;
  }
  const doc: Record<string, unknown> = { version: '3.8', services };
  if (stack.volumes.length > 0) doc.volumes = Object.fromEntries(stack.volumes.map((v) => [v, {}]));
  return stringify(doc, { aliasDuplicateObjects: false });
}

interface Sample {
  /** Wall time of the command. */
  ms: number;
  /** From the command's start until every service's task runs. */
  convergedMs: number;
}

export interface SwarmBenchOptions {
  docker: Docker;
  root: string;
  outDir: string;
  session: string;
  sizes: number[];
  runs: number;
  /** Free host ports, at least portsNeeded('layered', max size). */
  ports: number[];
  log: (s: string) => void;
  interrupted: () => boolean;
}

let createdSwarm = false;
/** Leave the swarm the bench made, if it made one (Ctrl-C: the run's own finally may never come). */
export async function leaveSwarmIfCreated(): Promise<void> {
  if (!createdSwarm) return;
  createdSwarm = false;
  await timed('docker', ['swarm', 'leave', '--force']);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function swarmState(docker: Docker): Promise<{ state: string; manager: boolean }> {
  const info = (await docker.info()) as { Swarm?: { LocalNodeState?: string; ControlAvailable?: boolean } };
  return { state: info.Swarm?.LocalNodeState ?? 'inactive', manager: !!info.Swarm?.ControlAvailable };
}

/** Services of a project, with how many of their tasks run. */
async function runningTasks(docker: Docker, project: string): Promise<{ services: number; running: number }> {
  const filters = JSON.stringify({ label: [`com.docker.stack.namespace=${project}`] });
  const services = await docker.listServices({ filters });
  const tasks = (await docker.listTasks({
    filters: JSON.stringify({ 'desired-state': ['running'] }),
  })) as Array<{ ServiceID: string; Status?: { State?: string } }>;
  const ids = new Set(services.map((s) => s.ID));
  return {
    services: services.length,
    running: new Set(
      tasks.filter((t) => ids.has(t.ServiceID) && t.Status?.State === 'running').map((t) => t.ServiceID),
    ).size,
  };
}

/** Run `cmd` and wait until all `n` services of the project have a running task (deadline 10 min). */
async function measured(
  docker: Docker,
  project: string,
  n: number,
  cmd: () => Promise<Timed>,
): Promise<Sample> {
  const t0 = performance.now();
  const r = await cmd();
  if (r.code !== 0) throw new Error(`exit ${r.code}: ${lastLines(r.output)}`);
  const deadline = t0 + 600_000;
  for (;;) {
    const s = await runningTasks(docker, project);
    if (s.services === n && s.running === n) return { ms: r.ms, convergedMs: performance.now() - t0 };
    if (performance.now() > deadline) throw new Error(`${s.running} of ${n} services running after 10 min`);
    await sleep(200);
  }
}

/** Remove a project's services, then (once their containers are gone) its networks and volumes. */
async function removeProject(docker: Docker, project: string): Promise<void> {
  const filters = JSON.stringify({ label: [`com.docker.stack.namespace=${project}`] });
  for (const s of await docker.listServices({ filters }))
    await docker
      .getService(s.ID!)
      .remove()
      .catch(() => {});
  const deadline = Date.now() + 300_000;
  while (Date.now() < deadline) {
    const left = await docker.listContainers({ all: true, filters });
    if (!left.length) break;
    await sleep(300);
  }
  for (const n of await docker.listNetworks({ filters }))
    await docker
      .getNetwork(n.Id)
      .remove()
      .catch(() => {});
  const vols = (await docker.listVolumes()).Volumes ?? [];
  for (const v of vols.filter((v) => v.Name.startsWith(`${project}_`)))
    await docker
      .getVolume(v.Name)
      .remove()
      .catch(() => {});
}

/** The swarm section of RESULTS.md (markdown lines). */
export async function swarmBench(o: SwarmBenchOptions): Promise<string[]> {
  const { docker, log } = o;
  const found = await swarmState(docker);
  let created = false;
  if (found.state === 'inactive') {
    const init = await timed('docker', ['swarm', 'init', '--advertise-addr', '127.0.0.1']);
    if (init.code !== 0) return [`Not measured: \`docker swarm init\` failed: ${lastLines(init.output)}`];
    created = true;
    createdSwarm = true;
  } else if (found.state !== 'active' || !found.manager)
    return [`Not measured: the engine is in a swarm as a ${found.state} non-manager.`];
  const projects: string[] = [];
  const samples = new Map<string, Sample[]>();
  const add = (k: string, s: Sample) => samples.set(k, [...(samples.get(k) ?? []), s]);
  const failures: string[] = [];
  try {
    const imageId = (await docker.getImage(BENCH_IMAGE).inspect()).Id;
    const node = process.execPath;
    const bin = join(o.root, 'bin/berth.js');
    const env = { ...process.env, NO_COLOR: '1' };
    const tools: Record<SwarmTool, (file: string, p: string) => Promise<Timed>> = {
      berth: (file, p) => timed(node, [bin, '--target', 'swarm', '-f', file, '-p', p, 'up', '-d'], env),
      stack: (file, p) =>
        timed('docker', ['stack', 'deploy', '--resolve-image', 'never', '-q', '-c', file, p], env),
    };
    const order: SwarmTool[] = ['berth', 'stack'];
    for (const size of o.sizes) {
      const stack = generateStack('layered', size, o.ports);
      const file = join(o.outDir, `${o.session}-swarm-layered${size}.yaml`);
      writeFileSync(file, toSwarmComposeYaml(stack, imageId));
      for (let run = 0; run < o.runs; run++) {
        // Rotate which tool goes first, as the lifecycle rows do. The tools take turns (the same ports).
        for (const tool of order.map((_, i) => order[(i + run) % order.length]!)) {
          if (o.interrupted()) return [];
          const p = `${o.session}-sw${size}-r${run + 1}-${tool}`;
          projects.push(p);
          try {
            for (const step of ['up', 'noop'] as const) {
              const s = await measured(docker, p, size, () => tools[tool](file, p));
              add(`${size}|${tool}|${step}`, s);
              log(
                `  swarm layered ${size} ${tool.padEnd(6)} ${step.padEnd(5)} ${secs(s.ms).padStart(8)}  all running at ${secs(s.convergedMs)}`,
              );
            }
          } catch (err) {
            failures.push(`${TITLES[tool]}, layered ${size}, run ${run + 1}: ${(err as Error).message}`);
            log(`  swarm layered ${size} ${tool} FAILED: ${(err as Error).message}`);
          } finally {
            await removeProject(docker, p);
          }
        }
      }
    }
  } finally {
    for (const p of projects) await removeProject(docker, p).catch(() => {});
    await leaveSwarmIfCreated();
  }
  const cell = (k: string, f: (s: Sample) => number) => {
    const xs = samples.get(k) ?? [];
    const m = median(xs.map(f));
    return m === undefined ? 'n/a' : secs(m);
  };
  const L = [
    `Single-node swarm (${created ? 'made by the bench and left afterwards' : 'the one the engine was in'}), medians of ${o.runs} run(s), the tools taking turns on the same generated file (layered: lb → web → app → db → store, host-mode ports, named volumes, the image by its ID). Each cell: the command's wall time, then the time from its start until every service has a running task.`,
    '',
    `| stack | step | ${TITLES.berth} | ${TITLES.stack} |`,
    '|---|---|---:|---:|',
  ];
  for (const size of o.sizes)
    for (const [step, title] of [
      ['up', 'cold `up` / deploy'],
      ['noop', 'no-op `up` / deploy'],
    ] as const)
      L.push(
        `| layered ${size} | ${title} | ${(['berth', 'stack'] as const)
          .map(
            (t) =>
              `${cell(`${size}|${t}|${step}`, (s) => s.ms)} (all running ${cell(`${size}|${t}|${step}`, (s) => s.convergedMs)})`,
          )
          .join(' | ')} |`,
      );
  L.push(
    '',
    'berth creates a dependent service once its dependencies run (depends_on), so its cold `up` returns when the last layer is created; `docker stack deploy` creates every service at once and returns, ignoring depends_on. A no-op `up` of berth compares spec hashes and updates nothing; `docker stack deploy` sends an update for every service.',
  );
  if (failures.length) L.push('', ...failures.map((f) => `- FAILED: ${f}`));
  return L;
}
