// The stack on Docker Swarm: up (deploy), down, ps and logs through the swarm port. The engine the CLI talks to
// must be a swarm manager. Images: a `build:` service is built locally and, with a registry, pushed under a
// content-derived tag every node can pull; an image that exists only on this engine runs by its ID (no node
// then asks a registry for it: that works on one node, and on several only when every node has the image).
import { readFileSync } from 'node:fs';
import type { Readable } from 'node:stream';
import type { ObservedSwarmService, SwarmEngine, SwarmNode, SwarmTask } from '../engine/swarm-port.js';
import { BerthError, ExitCode } from '../errors.js';
import { withBuildDependencies } from '../images/ensure.js';
import { LogDecoder } from '../logs/decode.js';
import { Label, projectSelector } from '../model/labels.js';
import type { Stack } from '../model/stack.js';
import { type DeployPlan, dependencyOrder, planDeploy } from '../swarm/plan.js';
import { reportLines, type Translation, translate } from '../swarm/translate.js';
import { emitter, type OpContext } from './context.js';

export interface SwarmContext extends OpContext {
  swarm: SwarmEngine;
}

/** Exit 2 unless the engine is a swarm manager, saying how to make or join one. */
export async function requireManager(swarm: SwarmEngine): Promise<void> {
  const info = await swarm.info();
  if (info.localState === 'active' && info.manager) return;
  const why =
    info.localState === 'active'
      ? `the engine at ${swarm.endpoint} is a swarm worker, not a manager`
      : `the engine at ${swarm.endpoint} is not part of a swarm (state: ${info.localState})`;
  throw new BerthError(`--target swarm: ${why}`, {
    exitCode: ExitCode.BadInput,
    hint: 'create one with `docker swarm init --advertise-addr <IP>`, or join one with `docker swarm join --token <token> <manager>:2377` (the token comes from `docker swarm join-token manager` on a manager); or point DOCKER_HOST at a manager',
  });
}

export interface DeployOptions {
  /** HOST:PORT of a registry every node can pull from: built images are pushed there. */
  registry?: string;
  wait?: boolean;
  waitTimeoutMs?: number;
  dryRun?: boolean;
  removeOrphans?: boolean;
}

export interface DeployOutcome {
  plan: DeployPlan;
  translation: Translation;
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    });
  });

/** The image each service runs on the swarm (building and pushing as needed). */
async function resolveImages(
  ctx: SwarmContext,
  stack: Stack,
  opts: DeployOptions,
  nodes: SwarmNode[],
): Promise<Record<string, string>> {
  const { engine, swarm } = ctx;
  const emit = emitter(ctx);
  const chosen = new Map<string, string>();
  const localOnly = new Set<string>();
  // A build whose `service:NAME` context names another service's image runs after that service's build, as
  // on the local engine (ensureImages): the same order, dependencies first, file order otherwise.
  const services = Object.values(stack.services);
  for (const svc of withBuildDependencies(services, stack.services)) {
    let local = await engine.inspectImage(svc.image);
    if (svc.build && (!local || opts.registry) && !opts.dryRun) {
      if (!local) {
        emit({ type: 'image', service: svc.name, message: `${svc.image} building` });
        await engine.buildImage(svc, { stack: stack.name, signal: ctx.signal });
        local = await engine.inspectImage(svc.image);
      }
    }
    if (svc.build && opts.registry && local) {
      // Content-derived: the same build pushes the same tag, and a new build is a new reference (a rollout).
      const ref = `${opts.registry}/${stack.name}-${svc.name}:${local.id.replace(/^sha256:/, '').slice(0, 12)}`;
      chosen.set(svc.name, ref);
      if (!opts.dryRun) {
        await engine.tagImage(local.id, ref);
        emit({ type: 'image', service: svc.name, message: `${ref} pushing` });
        await swarm.pushImage(ref);
      }
    } else if (local) {
      chosen.set(svc.name, local.id);
      localOnly.add(svc.name);
    } else chosen.set(svc.name, svc.image);
  }
  // reported and translated in file order, whatever order the builds ran in
  const out = Object.fromEntries(services.map((s) => [s.name, chosen.get(s.name)!]));
  const onlyHere = services.filter((s) => localOnly.has(s.name)).map((s) => s.name);
  if (onlyHere.length && nodes.length > 1)
    emit({
      type: 'warning',
      message: `${onlyHere.join(', ')}: image only on this engine, run by its ID: every node needs it (\`--registry HOST:PORT\` pushes built images where every node can pull them)`,
    });
  return out;
}

const running = (t: SwarmTask) => t.desiredState === 'running';

/** Every running-desired task of the service is running (for a healthcheck, Swarm says running once healthy). */
function converged(svc: ObservedSwarmService, tasks: SwarmTask[]): boolean {
  const mine = tasks.filter((t) => t.serviceId === svc.id && running(t));
  if (svc.update && svc.update.state === 'updating') return false;
  if (svc.update && /paused|rollback/.test(svc.update.state)) return false;
  const want = svc.replicas ?? mine.length;
  if (want === 0) return true;
  return mine.length >= want && mine.filter((t) => t.state === 'running').length >= want;
}

async function lastLogLines(swarm: SwarmEngine, id: string, n: number): Promise<string[]> {
  try {
    const s = await swarm.serviceLogs(id, { follow: false, tail: n, timestamps: false });
    const dec = new LogDecoder({ tty: false, timestamps: false });
    const lines: string[] = [];
    for await (const chunk of s as AsyncIterable<Buffer>) for (const l of dec.push(chunk)) lines.push(l.text);
    return lines.slice(-n);
  } catch {
    return [];
  }
}

/** Wait until the named services converged; on failure name the service, its task errors and last log lines. */
async function waitFor(
  ctx: SwarmContext,
  project: string,
  services: string[],
  deadline: number,
): Promise<void> {
  const { swarm } = ctx;
  for (;;) {
    const svcs = (await swarm.listServices([projectSelector(project)])).filter((s) =>
      services.includes(s.labels[Label.service] ?? ''),
    );
    const tasks = await swarm.listTasks(svcs.map((s) => s.id));
    const pending = svcs.filter((s) => !converged(s, tasks));
    if (!pending.length) return;
    const failed = pending.find((s) => s.update && /paused|rollback/.test(s.update.state));
    if (failed || Date.now() > deadline || ctx.signal?.aborted) {
      const s = failed ?? pending[0]!;
      const errors = [
        ...new Set(
          tasks
            .filter(
              (t) => t.serviceId === s.id && (t.error || t.state === 'failed' || t.state === 'rejected'),
            )
            .map((t) => `task ${t.slot ?? ''} ${t.state}: ${t.error ?? t.message}`),
        ),
      ].slice(-5);
      const logs = await lastLogLines(swarm, s.id, 10);
      throw new BerthError(
        `${s.labels[Label.service]}: ${failed ? `update ${s.update!.state}: ${s.update!.message ?? ''}` : 'tasks not running and healthy in time'}${errors.length ? `\n  ${errors.join('\n  ')}` : ''}${logs.length ? `\n  last log lines:\n    ${logs.join('\n    ')}` : ''}`,
        { exitCode: ExitCode.StackFailure },
      );
    }
    await sleep(500, ctx.signal);
  }
}

export async function deploy(
  ctx: SwarmContext,
  stack: Stack,
  opts: DeployOptions = {},
): Promise<DeployOutcome> {
  const { swarm } = ctx;
  const emit = emitter(ctx);
  await requireManager(swarm);
  const nodes = await swarm.listNodes();
  const images = await resolveImages(ctx, stack, opts, nodes);
  const translation = translate(stack, { images, read: (f) => readFileSync(f) });
  const observed = await swarm.listServices([projectSelector(stack.project)]);
  const plan = planDeploy(translation, observed);
  if (opts.dryRun) return { plan, translation };
  for (const w of [...translation.warnings, ...reportLines(translation)])
    emit({ type: 'warning', message: w });

  for (const n of translation.networks) {
    if (n.external) continue;
    emit({ type: 'progress', kind: 'Network', name: n.name, status: 'Creating', done: false });
    await swarm.createNetwork({ name: n.name, labels: n.labels, attachable: true, internal: n.internal });
    emit({ type: 'progress', kind: 'Network', name: n.name, status: 'Created', done: true });
  }
  const [secrets, configs] = await Promise.all([
    swarm.listSecrets([projectSelector(stack.project)]),
    swarm.listConfigs([projectSelector(stack.project)]),
  ]);
  for (const o of translation.objects) {
    if (o.external || !o.data) continue;
    const have = (o.kind === 'secret' ? secrets : configs).some((x) => x.name === o.name);
    if (have) continue;
    const create = o.kind === 'secret' ? swarm.createSecret.bind(swarm) : swarm.createConfig.bind(swarm);
    await create({ name: o.name, labels: o.labels, data: o.data });
  }

  const deadline = Date.now() + (opts.waitTimeoutMs ?? 300_000);
  const specs = new Map(translation.services.map((s) => [s.service, s]));
  for (const a of plan.actions) {
    const s = specs.get(a.service)!;
    if (a.do === 'none') continue;
    // A dependent is created (or updated) once its dependencies' tasks run: on Swarm a task with a health
    // check runs only once healthy, so this is `service_healthy`, and `service_started` as Swarm can say it
    // (a task's container started). A forced update (restart: true) also waits for the dependency's rollout.
    const deps = Object.keys(s.depends_on).filter((d) => specs.has(d));
    if (deps.length) await waitFor(ctx, stack.project, deps, deadline);
    const name = s.spec.name;
    if (a.do === 'create') {
      emit({
        type: 'progress',
        kind: 'Container',
        name,
        service: a.service,
        status: 'Creating',
        done: false,
      });
      await swarm.createService(s.spec);
      emit({ type: 'progress', kind: 'Container', name, service: a.service, status: 'Created', done: true });
    } else {
      emit({
        type: 'progress',
        kind: 'Container',
        name,
        service: a.service,
        status: 'Recreating',
        done: false,
        detail: a.reason,
      });
      await swarm.updateService(a.id!, a.version!, s.spec, { force: a.force });
      emit({
        type: 'progress',
        kind: 'Container',
        name,
        service: a.service,
        status: 'Recreated',
        done: true,
        detail: a.reason,
      });
    }
  }
  if (plan.orphans.length && opts.removeOrphans)
    for (const o of plan.orphans) await swarm.removeService(o.id);
  else if (plan.orphans.length)
    emit({
      type: 'warning',
      message: `found orphan services (${plan.orphans.map((o) => o.name).join(', ')}) for project ${stack.project}: \`--remove-orphans\` removes them`,
    });
  if (opts.wait) await waitFor(ctx, stack.project, dependencyOrder(translation), deadline);
  return { plan, translation };
}

export interface SwarmDownOptions {
  volumes?: boolean;
  timeoutMs?: number;
}

/** Remove the project's services, then its networks, secrets and configs (volumes with `volumes`). */
export async function undeploy(
  ctx: SwarmContext,
  project: string,
  opts: SwarmDownOptions = {},
): Promise<string[]> {
  const { swarm } = ctx;
  const emit = emitter(ctx);
  await requireManager(swarm);
  const sel = [projectSelector(project)];
  const removed: string[] = [];
  const services = await swarm.listServices(sel);
  for (const s of services) {
    emit({ type: 'progress', kind: 'Container', name: s.name, status: 'Removing', done: false });
    await swarm.removeService(s.id);
    removed.push(s.name);
    emit({ type: 'progress', kind: 'Container', name: s.name, status: 'Removed', done: true });
  }
  const deadline = Date.now() + (opts.timeoutMs ?? 120_000);
  // Tasks leave their networks and volumes only once their containers are gone: retry until then.
  const retry = async (what: string, fn: () => Promise<void>) => {
    for (;;) {
      try {
        return await fn();
      } catch (err) {
        if (Date.now() > deadline)
          throw new BerthError(`could not remove ${what}: ${(err as Error).message}`);
        await sleep(300, ctx.signal);
      }
    }
  };
  for (const n of await swarm.listNetworks(sel)) {
    await retry(`network ${n.name}`, () => swarm.removeNetwork(n.id));
    removed.push(n.name);
    emit({ type: 'progress', kind: 'Network', name: n.name, status: 'Removed', done: true });
  }
  for (const s of await swarm.listSecrets(sel)) {
    await retry(`secret ${s.name}`, () => swarm.removeSecret(s.id));
    removed.push(s.name);
  }
  for (const c of await swarm.listConfigs(sel)) {
    await retry(`config ${c.name}`, () => swarm.removeConfig(c.id));
    removed.push(c.name);
  }
  if (opts.volumes)
    for (const v of await swarm.listVolumes(sel)) {
      await retry(`volume ${v.name}`, () => swarm.removeVolume(v.name));
      removed.push(v.name);
      emit({ type: 'progress', kind: 'Volume', name: v.name, status: 'Removed', done: true });
    }
  return removed;
}

export interface SwarmTaskRow {
  service: string;
  slot?: number;
  node: string;
  state: string;
  desired: string;
  health?: 'healthy' | 'starting';
  ports: string[];
  error?: string;
  id: string;
}

/** Current tasks of the project (those the swarm wants running, plus failures of the last minute). */
export async function swarmPs(
  ctx: SwarmContext,
  project: string,
  opts: { all?: boolean } = {},
): Promise<SwarmTaskRow[]> {
  const { swarm } = ctx;
  await requireManager(swarm);
  const [services, nodes] = await Promise.all([
    swarm.listServices([projectSelector(project)]),
    swarm.listNodes(),
  ]);
  const tasks = await swarm.listTasks(services.map((s) => s.id));
  const byId = new Map(services.map((s) => [s.id, s]));
  const nodeName = new Map(nodes.map((n) => [n.id, n.hostname]));
  return tasks
    .filter((t) => opts.all || running(t))
    .map((t) => {
      const s = byId.get(t.serviceId);
      const hasHealth = !!s?.healthcheck;
      return {
        service: s?.labels[Label.service] ?? t.serviceId,
        slot: t.slot,
        node: nodeName.get(t.nodeId) ?? t.nodeId,
        state: t.state,
        desired: t.desiredState,
        // Swarm reports a task with a health check `starting` until it is healthy, then `running`.
        health:
          hasHealth && t.state === 'running'
            ? ('healthy' as const)
            : t.state === 'starting'
              ? ('starting' as const)
              : undefined,
        // one entry per port, though the engine lists a host-mode port once per address family
        ports: [...new Set(t.ports.map((p) => `*:${p.published}->${p.target}/${p.protocol}`))],
        error: t.error,
        id: t.id,
      };
    })
    .sort((a, b) => a.service.localeCompare(b.service) || (a.slot ?? 0) - (b.slot ?? 0));
}

/** Log streams of the project's services (multiplexed frames), by service name. */
export async function swarmLogStreams(
  ctx: SwarmContext,
  project: string,
  opts: { follow: boolean; tail?: number | 'all'; timestamps: boolean; services?: string[] },
): Promise<Array<{ service: string; stream: Readable }>> {
  const { swarm } = ctx;
  await requireManager(swarm);
  const services = (await swarm.listServices([projectSelector(project)])).filter(
    (s) => !opts.services?.length || opts.services.includes(s.labels[Label.service] ?? ''),
  );
  return Promise.all(
    services.map(async (s) => ({
      service: s.labels[Label.service] ?? s.name,
      stream: await swarm.serviceLogs(s.id, { ...opts, signal: ctx.signal }),
    })),
  );
}

/** Swarm stacks berth deployed (project → services), for `ls`. */
export async function swarmStacks(swarm: SwarmEngine): Promise<Array<{ project: string; services: number }>> {
  const info = await swarm.info();
  if (!(info.localState === 'active' && info.manager)) return [];
  const services = await swarm.listServices([Label.project]);
  const by = new Map<string, number>();
  for (const s of services) by.set(s.labels[Label.project]!, (by.get(s.labels[Label.project]!) ?? 0) + 1);
  return [...by].map(([project, n]) => ({ project, services: n }));
}
