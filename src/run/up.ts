// The executor for `up`: runs a Plan over the dependency graph. Every missing container is created at once
// (bounded by the queue); each service starts as soon as its own dependencies meet their conditions, with no
// level barriers; a failed service stops its dependents from starting and says why. On interrupt, in-flight
// engine calls finish, half-made recreates roll back, and what is left is a state the next `up` converges from.
import type Docker from 'dockerode';
import {
  createContainer,
  removeContainer,
  renameContainer,
  restartContainer,
  startContainer,
  stopContainer,
  tailLogs,
} from '../engine/containers.js';
import { engineHonoursStartInterval, probeCommand } from '../engine/health-probe.js';
import { createNetwork } from '../engine/networks.js';
import { type CreateOptions, containerForReplica, containerTemplate } from '../engine/spec.js';
import { createVolume } from '../engine/volumes.js';
import type { Action, Plan } from '../plan/types.js';
import type { DependencyCondition, Service, Stack } from '../spec/types.js';
import { dependencyEdges } from './deps.js';
import type { Failure, ProgressStatus, ResourceKind, RunListener } from './events.js';
import {
  ContainerWaiter,
  completedSuccessfully,
  healthy,
  Interrupted,
  ready,
  type StartProbe,
  type Verdict,
  WaitFailed,
  WaitTimedOut,
} from './wait.js';

export interface UpOptions {
  /** Engine calls in flight at once. The engine does the work; a bound keeps a 2-core machine responsive. */
  concurrency?: number;
  signal?: AbortSignal;
  onEvent?: RunListener;
  /** Wait until every service of the plan is running and healthy (`--wait`). */
  wait?: boolean;
  waitTimeoutMs?: number;
}

export interface UpResult {
  ok: boolean;
  interrupted: boolean;
  failures: Failure[];
  /** Container IDs per service after the run (started or unchanged). */
  containers: Record<string, string[]>;
}

/** A service that did not start because of a dependency. */
class Skipped extends Error {}

interface Deferred<T> {
  promise: Promise<T>;
  resolve: (v: T) => void;
  reject: (e: unknown) => void;
}
function deferred<T>(): Deferred<T> {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => {}); // observed by whoever awaits it; never an unhandled rejection
  return { promise, resolve, reject };
}

/** Name under which a recreate's new container waits until the old one is gone; the planner cleans it up by name. */
export const temporaryName = (oldId: string, canonical: string) => `${oldId.slice(0, 12)}_${canonical}`;

export async function runUp(
  docker: Docker,
  stack: Stack,
  plan: Plan,
  opts: UpOptions = {},
): Promise<UpResult> {
  const [{ default: PQueue }, { buildGraph, startOrder }] = await Promise.all([
    import('p-queue'),
    import('../graph/index.js'),
  ]);
  const graph = buildGraph(stack);
  const edges = dependencyEdges(stack, graph);
  // Dispatch in start order, so the creates of the services everything waits for are first in the queue.
  const order = startOrder(graph).filter((s) => plan.services.includes(s));
  const queue = new PQueue({ concurrency: opts.concurrency ?? 16 });
  const signal = opts.signal;
  const emit = opts.onEvent ?? (() => {});
  const failures: Failure[] = [];
  const waiter = new ContainerWaiter(docker, stack.project, signal);
  const probeFor = await startProbes(docker, stack);
  const containers: Record<string, string[]> = {};
  const templates = new Map<string, CreateOptions>();
  const template = (svc: Service) => {
    const t = templates.get(svc.name) ?? containerTemplate(stack, svc);
    templates.set(svc.name, t);
    return t;
  };

  const progress = (
    kind: ResourceKind,
    name: string,
    status: ProgressStatus,
    done: boolean,
    t0?: number,
    service?: string,
    detail?: string,
  ) =>
    emit({
      type: 'progress',
      kind,
      name,
      service,
      status,
      done,
      elapsedMs: t0 === undefined ? undefined : Date.now() - t0,
      detail,
    });

  /** A queued engine step; refused once interrupted, so nothing new starts after Ctrl-C. */
  const step = <T>(fn: () => Promise<T>, priority = 0): Promise<T> =>
    queue.add(
      async () => {
        if (signal?.aborted) throw new Interrupted();
        return fn();
      },
      { priority },
    ) as Promise<T>;

  const fail = async (service: string, message: string, id?: string, container?: string) => {
    const logs = id ? await tailLogs(docker, id, 10) : [];
    const f: Failure = { service, container, message, logs };
    failures.push(f);
    emit({ type: 'failure', ...f });
  };

  // Leftovers, scale-down and orphans go away alongside everything else: nothing depends on them.
  const removeActions = plan.actions.filter(
    (a): a is Extract<Action, { kind: 'remove' }> => a.kind === 'remove',
  );
  const removals = removeActions.map((a) =>
    step(async () => {
      const t0 = Date.now();
      progress('Container', a.name, 'Removing', false, undefined, a.service);
      // A leftover temporary container never served anything: no need for a graceful stop.
      if (a.reason !== 'leftover' && a.container.state === 'running')
        await stopContainer(docker, a.container.id);
      await removeContainer(docker, a.container.id, { force: true });
      progress('Container', a.name, 'Removed', true, t0, a.service, a.reason);
    }).catch(async (err) => {
      if (err instanceof Interrupted) return;
      progress('Container', a.name, 'Error', true, undefined, a.service, engineMessage(err));
      await fail(a.service, `could not remove ${a.name} (${a.reason}): ${engineMessage(err)}`);
    }),
  );
  /** A leftover of an interrupted recreate may hold the temporary name this run's recreate will use. */
  const leftoversOf = (service: string) =>
    Promise.allSettled(
      removals.filter(
        (_, i) => removeActions[i]!.service === service && removeActions[i]!.reason === 'leftover',
      ),
    );

  // Networks and volumes first: every container create needs them.
  try {
    await Promise.all(
      plan.actions.map((a) => {
        if (a.kind !== 'create-network' && a.kind !== 'create-volume') return undefined;
        const kind: ResourceKind = a.kind === 'create-network' ? 'Network' : 'Volume';
        return step(async () => {
          const t0 = Date.now();
          progress(kind, a.name, 'Creating', false);
          if (a.kind === 'create-network') await createNetwork(docker, stack, a.key);
          else await createVolume(docker, stack, a.key);
          progress(kind, a.name, 'Created', true, t0);
        }, 2);
      }),
    );
  } catch (err) {
    await Promise.allSettled(removals);
    await waiter.close();
    if (err instanceof Interrupted) return { ok: false, interrupted: true, failures, containers };
    throw err;
  }

  interface ServiceRun {
    started: Deferred<void>;
    ids: string[];
    conditions: Map<DependencyCondition, Promise<void>>;
  }
  const runs = new Map<string, ServiceRun>();
  for (const name of plan.services)
    runs.set(name, {
      started: deferred(),
      ids: plan.unchanged.filter((c) => c.service === name).map((c) => c.id),
      conditions: new Map(),
    });

  /** Memoized per service and condition: the first waiter reports a failure, the rest share its outcome. */
  const condition = (dep: string, cond: DependencyCondition): Promise<void> => {
    const run = runs.get(dep)!;
    let p = run.conditions.get(cond);
    if (p) return p;
    p = (async () => {
      await run.started.promise;
      if (cond === 'service_started') return;
      const check = cond === 'service_healthy' ? healthy : completedSuccessfully;
      await Promise.all(run.ids.map((id) => waitFor(dep, id, check, cond)));
    })();
    p.catch(() => {});
    run.conditions.set(cond, p);
    return p;
  };

  const reached = new Map<string, ProgressStatus>();
  const waitFor = async (
    service: string,
    id: string,
    check: (s: Parameters<typeof healthy>[0]) => Verdict,
    what: string,
    timeoutMs?: number,
  ) => {
    const t0 = Date.now();
    const cname = containerNameOf(id);
    if (!reached.has(id)) progress('Container', cname, 'Waiting', false, undefined, service);
    try {
      const s = await waiter.until(id, check, timeoutMs, probeFor(service));
      const status: ProgressStatus = s?.running ? (s.health === 'healthy' ? 'Healthy' : 'Running') : 'Exited';
      // `--wait` re-checks what a dependency wait already reported: say it once
      if (reached.get(id) !== status) progress('Container', cname, status, true, t0, service);
      reached.set(id, status);
    } catch (err) {
      if (err instanceof WaitFailed || err instanceof WaitTimedOut) {
        const s = err.state;
        let message: string;
        if (err instanceof WaitTimedOut)
          message = `service "${service}" (${cname}) did not become ${what === 'service_healthy' || what === 'ready' ? (s?.hasHealthcheck ? 'healthy' : 'ready') : 'done'} in time (${s?.health ?? s?.status ?? 'gone'})`;
        else if (!s) message = `service "${service}": container ${cname} disappeared`;
        else if (s.health === 'unhealthy') message = `service "${service}" is unhealthy (${cname})`;
        else if (what === 'service_healthy' && !s.hasHealthcheck)
          message = `service "${service}" has no healthcheck, but a dependency waits for it to be healthy`;
        else if (!s.running) message = `service "${service}" exited with code ${s.exitCode} (${cname})`;
        else message = `service "${service}" failed its condition ${what} (${cname})`;
        progress('Container', cname, 'Error', true, t0, service, message);
        await fail(service, message, id, cname);
      }
      throw err;
    }
  };

  const names = new Map<string, string>();
  for (const c of plan.unchanged) names.set(c.id, c.name);
  const containerNameOf = (id: string) => names.get(id) ?? id.slice(0, 12);
  const tempsToRollBack = new Set<string>();

  const runService = async (name: string): Promise<void> => {
    const svc = stack.services[name]!;
    const run = runs.get(name)!;
    const actions = plan.actions.filter(
      (a): a is Extract<Action, { kind: 'create' | 'recreate' | 'start' | 'restart' }> =>
        (a.kind === 'create' || a.kind === 'recreate' || a.kind === 'start' || a.kind === 'restart') &&
        a.service === name,
    );
    // Dependencies outside the plan (`up --no-deps`, or not selected) are not waited for, as in Compose.
    const deps = (edges.get(name) ?? []).filter((e) => runs.has(e.dep));
    // Containers that join a dependency's namespace or volumes can only be created once it exists.
    const nsDeps = deps.filter((e) => e.sharesNamespace).map((e) => e.dep);

    const created = new Map<Action, Promise<string>>();
    for (const a of actions) {
      if (a.kind === 'start' || a.kind === 'restart') continue;
      created.set(
        a,
        (async () => {
          for (const dep of nsDeps) await runs.get(dep)!.started.promise;
          if (a.kind === 'recreate') await leftoversOf(name);
          return step(async () => {
            const t0 = Date.now();
            const tmp = a.kind === 'recreate' ? temporaryName(a.old.id, a.name) : a.name;
            progress(
              'Container',
              a.name,
              a.kind === 'recreate' ? 'Recreating' : 'Creating',
              false,
              undefined,
              name,
            );
            const cp = containerForReplica(stack, svc, template(svc), a.replica, a.hash, tmp);
            const id = await createContainer(docker, cp);
            names.set(id, a.name);
            if (a.kind === 'recreate') tempsToRollBack.add(id);
            else progress('Container', a.name, 'Created', true, t0, name);
            return id;
          });
        })(),
      );
    }
    for (const p of created.values()) p.catch(() => {});

    for (const d of deps) {
      const dep = d.dep;
      try {
        await condition(dep, d.condition);
      } catch (err) {
        if (err instanceof Interrupted) throw err;
        if (!d.required) {
          emit({
            type: 'warning',
            message: `service "${name}": optional dependency "${dep}" did not meet ${d.condition}; starting anyway`,
          });
          continue;
        }
        const reason = `dependency "${dep}" ${err instanceof Skipped ? 'was not started' : 'failed'}`;
        emit({ type: 'skipped', service: name, reason });
        throw new Skipped(reason);
      }
    }

    const startNew = async (a: Action & { name: string }, id: string, t0: number) => {
      await step(async () => {
        progress('Container', a.name, 'Starting', false, undefined, name);
        await startContainer(docker, id);
      }, 1);
      progress('Container', a.name, 'Started', true, t0, name);
      return id;
    };

    const started = await Promise.allSettled(
      actions.map(async (a) => {
        const t0 = Date.now();
        if (a.kind === 'restart') {
          names.set(a.container.id, a.name);
          await step(async () => {
            progress('Container', a.name, 'Restarting', false, undefined, name);
            await restartContainer(docker, a.container.id);
          }, 1);
          progress('Container', a.name, 'Restarted', true, t0, name, `dependency "${a.dependency}" replaced`);
          return a.container.id;
        }
        if (a.kind === 'start') {
          names.set(a.container.id, a.name);
          await step(async () => {
            progress('Container', a.name, 'Starting', false, undefined, name);
            await startContainer(docker, a.container.id);
          }, 1);
          progress('Container', a.name, 'Started', true, t0, name);
          return a.container.id;
        }
        if (a.kind !== 'recreate') return startNew(a, await created.get(a)!, t0);
        // Dependencies are ready: the old container stops while its successor is still being created, so
        // the gap is max(create, stop) + remove + rename + start.
        const stopping = step(() => stopContainer(docker, a.old.id), 1);
        let id: string;
        try {
          id = await created.get(a)!;
        } catch (err) {
          // no successor: bring the old container back rather than leave the service down
          await stopping.then(() => startContainer(docker, a.old.id)).catch(() => {});
          throw err;
        }
        await stopping;
        // Not interruptible: once the old container is gone, the new one takes its name.
        await step(async () => {
          await removeContainer(docker, a.old.id, { force: true });
          await renameContainer(docker, id, a.name);
          tempsToRollBack.delete(id);
        }, 1);
        progress('Container', a.name, 'Recreated', true, t0, name, a.reason);
        return startNew(a, id, t0);
      }),
    );
    for (const r of started) if (r.status === 'fulfilled') run.ids.push(r.value);
    const bad = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (bad) {
      if (bad.reason instanceof Interrupted) throw bad.reason;
      const a = actions[started.indexOf(bad)]!;
      const id =
        a.kind === 'start' || a.kind === 'restart'
          ? a.container.id
          : await created.get(a)?.catch(() => undefined);
      const msg = engineMessage(bad.reason);
      progress('Container', a.name, 'Error', true, undefined, name, msg);
      await fail(name, `service "${name}" failed to start: ${msg}`, id, a.name);
      throw bad.reason;
    }
  };

  const tasks = order.map(async (name) => {
    const run = runs.get(name)!;
    try {
      await runService(name);
      run.started.resolve();
    } catch (err) {
      run.started.reject(err instanceof Interrupted ? err : new Skipped(String(err)));
      if (!(err instanceof Interrupted || err instanceof Skipped || isReported(err))) {
        await fail(name, `service "${name}": ${engineMessage(err)}`);
      }
    }
  });
  await Promise.allSettled([...tasks, ...removals]);
  // Health conditions that dependents asked for have settled by now; nothing else is pending.
  await Promise.allSettled([...runs.values()].flatMap((r) => [...r.conditions.values()]));

  let interrupted = signal?.aborted ?? false;
  if (!interrupted && opts.wait) {
    const waits = plan.services.flatMap((name) => {
      const run = runs.get(name)!;
      if (failures.some((f) => f.service === name)) return [];
      return run.ids.map((id) => waitFor(name, id, ready, 'ready', opts.waitTimeoutMs));
    });
    const settled = await Promise.allSettled(waits);
    interrupted = settled.some((r) => r.status === 'rejected' && r.reason instanceof Interrupted);
  }

  // Roll back half-made recreates: the old container still runs under its name; the next `up` retries.
  await Promise.allSettled([...tempsToRollBack].map((id) => removeContainer(docker, id, { force: true })));
  await waiter.close();
  for (const [name, run] of runs) containers[name] = run.ids;
  return { ok: failures.length === 0 && !interrupted, interrupted, failures, containers };
}

function isReported(err: unknown): boolean {
  return err instanceof WaitFailed || err instanceof WaitTimedOut;
}

/**
 * Healthchecks that ask for a `start_interval` get it even on engines that ignore it (API < 1.44): berth
 * runs the check itself at that pace while the container is `starting`. The engine is asked its version only
 * when some service wants this.
 */
async function startProbes(
  docker: Docker,
  stack: Stack,
): Promise<(service: string) => StartProbe | undefined> {
  const wanting = Object.values(stack.services).filter(
    (s) => s.healthcheck?.startIntervalMs && !s.healthcheck.disable,
  );
  if (!wanting.length) return () => undefined;
  const api = await docker.version().then(
    (v) => v.ApiVersion,
    () => undefined,
  );
  if (engineHonoursStartInterval(api)) return () => undefined;
  const probes = new Map<string, StartProbe>();
  for (const svc of wanting) {
    const hc = svc.healthcheck!;
    const cmd = probeCommand(hc.test);
    if (cmd) probes.set(svc.name, { cmd, everyMs: hc.startIntervalMs!, timeoutMs: hc.timeoutMs ?? 30_000 });
  }
  return (service) => probes.get(service);
}

/** The engine's own words, without dockerode's HTTP preamble. */
export function engineMessage(err: unknown): string {
  const e = err as { json?: { message?: string }; message?: string };
  const m = e?.json?.message ?? e?.message ?? String(err);
  return m.replace(/^\(HTTP code \d+\) [^-]*- /, '').trim();
}
