// The engine floor: the least a tool must ask of dockerd to bring a generated stack up, keep it, recreate one
// service and take it down. dockerode alone, no parsing (it reads the stack as JSON), no barriers between
// levels: everything missing is created at once and each container starts as soon as its own dependencies
// have started. Run as its own process (`node .cache/bench/floor.mjs up|down SPEC.json`) so it pays the same
// process start-up as every CLI it is compared with.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import Docker from 'dockerode';
import { BENCH_COMMAND, BENCH_IMAGE, type GenService, type GenStack } from './gen.js';

export const FLOOR_PROJECT = 'dev.berth.bench.floor.project';
export const FLOOR_SERVICE = 'dev.berth.bench.floor.service';
const FLOOR_HASH = 'dev.berth.bench.floor.hash';

export interface FloorSpec {
  project: string;
  stack: GenStack;
}

const networkName = (project: string) => `${project}_default`;
const volumeName = (project: string, key: string) => `${project}_${key}`;

export function createOptions(project: string, s: GenService): Docker.ContainerCreateOptions {
  const net = networkName(project);
  const opts: Docker.ContainerCreateOptions = {
    name: `${project}-${s.name}-1`,
    Image: BENCH_IMAGE,
    Cmd: BENCH_COMMAND,
    Env: Object.entries(s.environment).map(([k, v]) => `${k}=${v}`),
    Labels: { [FLOOR_PROJECT]: project, [FLOOR_SERVICE]: s.name },
    ExposedPorts: Object.fromEntries(s.ports.map((p) => [`${p.container}/tcp`, {}])),
    HostConfig: {
      Init: true,
      NetworkMode: net,
      PortBindings: Object.fromEntries(
        s.ports.map((p) => [`${p.container}/tcp`, [{ HostIp: '127.0.0.1', HostPort: String(p.host) }]]),
      ),
      Mounts: Object.entries(s.volumes).map(([v, target]) => ({
        Type: 'volume' as const,
        Source: volumeName(project, v),
        Target: target,
      })),
    },
    NetworkingConfig: { EndpointsConfig: { [net]: { Aliases: [s.name] } } },
  };
  const hash = createHash('sha256').update(JSON.stringify(opts)).digest('hex');
  opts.Labels![FLOOR_HASH] = hash;
  return opts;
}

const ignoreStatus =
  (...codes: number[]) =>
  (err: { statusCode?: number }) => {
    if (!codes.includes(err.statusCode ?? 0)) throw err;
  };

async function up(docker: Docker, { project, stack }: FloorSpec): Promise<void> {
  // The whole no-op: one list call and a comparison.
  const existing = await docker.listContainers({
    all: true,
    filters: JSON.stringify({ label: [`${FLOOR_PROJECT}=${project}`] }),
  });
  const have = new Map(existing.map((c) => [c.Labels[FLOOR_SERVICE]!, c]));
  const want = stack.services.map((s) => ({ s, opts: createOptions(project, s) }));
  const todo = want.filter(({ s, opts }) => {
    const c = have.get(s.name);
    return !c || c.Labels[FLOOR_HASH] !== opts.Labels![FLOOR_HASH] || c.State !== 'running';
  });
  if (todo.length === 0) return;

  if (existing.length === 0) {
    await Promise.all([
      docker
        .createNetwork({ Name: networkName(project), Labels: { [FLOOR_PROJECT]: project } })
        .catch(ignoreStatus(409)),
      ...stack.volumes.map((v) =>
        docker.createVolume({ Name: volumeName(project, v), Labels: { [FLOOR_PROJECT]: project } }),
      ),
    ]);
  }

  const started = new Map<string, Promise<void>>();
  for (const s of stack.services) started.set(s.name, Promise.resolve());
  for (const { s, opts } of todo) {
    const old = have.get(s.name);
    started.set(
      s.name,
      (async () => {
        if (old && old.Labels[FLOOR_HASH] !== opts.Labels![FLOOR_HASH]) {
          const c = docker.getContainer(old.Id);
          await c.stop().catch(ignoreStatus(304));
          await c.remove();
        }
        const sameConfig = old && old.Labels[FLOOR_HASH] === opts.Labels![FLOOR_HASH];
        const container = sameConfig ? docker.getContainer(old.Id) : await docker.createContainer(opts);
        await Promise.all(s.dependsOn.map((d) => started.get(d)));
        await container.start();
      })(),
    );
  }
  await Promise.all(started.values());
}

async function down(docker: Docker, { project, stack }: FloorSpec): Promise<void> {
  const existing = await docker.listContainers({
    all: true,
    filters: JSON.stringify({ label: [`${FLOOR_PROJECT}=${project}`] }),
  });
  const byService = new Map(existing.map((c) => [c.Labels[FLOOR_SERVICE]!, c]));
  const dependents = new Map<string, string[]>(stack.services.map((s) => [s.name, []]));
  for (const s of stack.services) for (const d of s.dependsOn) dependents.get(d)!.push(s.name);

  // A service stops once everything that depends on it has stopped; each container is removed right after.
  const stopped = new Map<string, Promise<void>>();
  const removed: Promise<void>[] = [];
  const stopOf = (name: string): Promise<void> => {
    let p = stopped.get(name);
    if (!p) {
      p = (async () => {
        await Promise.all(dependents.get(name)!.map(stopOf));
        const c = byService.get(name);
        if (c) await docker.getContainer(c.Id).stop().catch(ignoreStatus(304));
      })();
      stopped.set(name, p);
      const c = byService.get(name);
      if (c) removed.push(p.then(() => docker.getContainer(c.Id).remove()));
    }
    return p;
  };
  for (const s of stack.services) stopOf(s.name);
  await Promise.all([...stopped.values(), ...removed]);
  await Promise.all([
    docker.getNetwork(networkName(project)).remove().catch(ignoreStatus(404)),
    ...stack.volumes.map((v) => docker.getVolume(volumeName(project, v)).remove().catch(ignoreStatus(404))),
  ]);
}

async function main(argv: string[]): Promise<void> {
  const [verb, specFile] = argv;
  if ((verb !== 'up' && verb !== 'down') || !specFile) {
    process.stderr.write('usage: floor up|down SPEC.json\n');
    process.exit(2);
  }
  const spec = JSON.parse(readFileSync(specFile, 'utf8')) as FloorSpec;
  const docker = new Docker();
  await (verb === 'up' ? up(docker, spec) : down(docker, spec));
}

// Only when run as the script (the harness imports the label names and createOptions).
if (process.argv[1]?.endsWith('floor.mjs')) {
  main(process.argv.slice(2)).catch((err) => {
    process.stderr.write(`floor: ${err?.message ?? err}\n`);
    process.exit(1);
  });
}
