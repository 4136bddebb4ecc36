// One service's part of `up`: its new containers are created as soon as what they join exists, then it waits
// for its dependencies' conditions, then every container is started, restarted or swapped in. A required
// dependency that failed skips the service, and says which.
import type { Action, Plan } from '../plan/types.js';
import type { ConditionWaits, ServiceRun } from './conditions.js';
import type { DepEdge } from '../graph/deps.js';
import { engineMessage } from '../engine/errors.js';
import { isPortBindFailure, portRaceMessage } from './preflight.js';
import { HookFailed, runExecHooks, runPreStartHooks } from './hooks.js';
import { type PendingSuccessors, replaceContainer, temporaryName } from './recreate.js';
import type { Removals } from './removals.js';
import type { UpRun } from './up-run.js';
import { Interrupted } from './wait.js';

/** A service that did not start because of a dependency. */
export class Skipped extends Error {}

/** A service whose failure is already reported (with its container's last log lines). */
export class ServiceFailed extends Error {}

type ContainerAction = Extract<Action, { kind: 'create' | 'recreate' | 'start' | 'restart' }>;

/** What a service's run needs from the rest of the `up`. */
export interface ServiceContext {
  run: UpRun;
  plan: Plan;
  edges: Map<string, DepEdge[]>;
  runs: Map<string, ServiceRun>;
  waits: ConditionWaits;
  removals: Removals;
  pending: PendingSuccessors;
  beforeStart?: (service: string) => Promise<void>;
  /** `up --renew-anon-volumes`: a recreated container starts with fresh anonymous volumes. */
  renewAnonVolumes?: boolean;
  /** `create`, `up --no-start`: containers are made (and swapped in), none started. */
  noStart?: boolean;
}

export async function runService(ctx: ServiceContext, name: string): Promise<void> {
  const created = new Map<Action, Promise<string>>();
  try {
    await runServiceSteps(ctx, name, created);
  } finally {
    // A create already sent finishes before the service's run ends, even when it ends early (a failed or
    // interrupted dependency): `up` must not return with calls in flight, nor miss a successor to roll back.
    await Promise.allSettled(created.values());
  }
}

async function runServiceSteps(
  ctx: ServiceContext,
  name: string,
  created: Map<Action, Promise<string>>,
): Promise<void> {
  const { run, plan, runs } = ctx;
  const { engine } = run;
  const self = runs.get(name)!;
  const actions = plan.actions.filter(
    (a): a is ContainerAction =>
      (a.kind === 'create' || a.kind === 'recreate' || a.kind === 'start' || a.kind === 'restart') &&
      a.service === name,
  );
  // Dependencies outside the plan (`up --no-deps`, or not selected) are not waited for, as in Compose.
  const deps = (ctx.edges.get(name) ?? []).filter((e) => runs.has(e.dep));
  // Containers that join a dependency's namespace or volumes can only be created once it exists.
  const nsDeps = deps.filter((e) => e.sharesNamespace).map((e) => e.dep);

  for (const a of actions) {
    if (a.kind === 'start' || a.kind === 'restart') continue;
    created.set(
      a,
      (async () => {
        for (const dep of nsDeps) await runs.get(dep)!.started.promise;
        if (a.kind === 'recreate') await ctx.removals.leftoversOf(name);
        return run.step(async () => {
          const t0 = Date.now();
          const tmp = a.kind === 'recreate' ? temporaryName(a.old.id, a.name) : a.name;
          run.progress(
            'Container',
            a.name,
            a.kind === 'recreate' ? 'Recreating' : 'Creating',
            false,
            undefined,
            name,
          );
          const id = await engine.createContainer({
            kind: 'replica',
            stack: run.stack,
            service: name,
            replica: a.replica,
            hash: a.hash,
            name: tmp,
            ...(a.kind === 'recreate' && !ctx.renewAnonVolumes ? { inherit: a.old.id } : {}),
          });
          run.names.set(id, a.name);
          if (a.kind === 'recreate') ctx.pending.add(id);
          else run.progress('Container', a.name, 'Created', true, t0, name);
          return id;
        });
      })(),
    );
  }
  for (const p of created.values()) p.catch(() => {});
  if (ctx.noStart) return createOnly(ctx, name, actions, created);

  for (const d of deps) {
    const dep = d.dep;
    try {
      await ctx.waits.condition(dep, d.condition);
    } catch (err) {
      if (err instanceof Interrupted) throw err;
      if (!d.required) {
        run.emit({
          type: 'warning',
          message: `service "${name}": optional dependency "${dep}" did not meet ${d.condition}; starting anyway`,
        });
        continue;
      }
      const reason = `dependency "${dep}" ${err instanceof Skipped ? 'was not started' : 'failed'}`;
      run.emit({ type: 'skipped', service: name, reason });
      throw new Skipped(reason);
    }
  }

  const svc = run.stack.services[name]!;
  // As Compose: `pre_start` runs once for the service when it gets new containers (not when a scale-up adds
  // replicas next to running ones, nor when `up` only starts stopped ones), before any of them starts.
  // The hooks share the mounts of the lowest new replica (created, not started), as Compose's runner does
  // with volumes_from: anonymous and image volumes too, not only what the file names.
  const fresh = actions
    .filter((a) => a.kind === 'create' || a.kind === 'recreate')
    .sort((a, b) => a.replica - b.replica);
  if (svc.pre_start?.length && fresh.length && fresh.some((a) => a.kind === 'recreate' || !a.scale)) {
    try {
      const volumesFrom = await created.get(fresh[0]!)!;
      run.progress('Container', name, 'Running', false, undefined, name, 'pre_start hooks');
      await runPreStartHooks(engine, run.stack, svc, volumesFrom, run.signal);
    } catch (err) {
      if (err instanceof Interrupted || run.signal?.aborted) throw new Interrupted();
      const msg = engineMessage(err);
      run.progress('Container', name, 'Error', true, undefined, name, msg);
      await run.fail(name, `service "${name}": ${msg}`, undefined, undefined, hookOutput(err));
      throw new ServiceFailed(msg);
    }
  }

  // `post_start` hooks run right after each start and before the service counts as started, so dependents
  // waiting for `service_started` go on only once they are done (Compose runs them inside its start step).
  const afterStart = async (
    a: Action & { name: string },
    id: string,
    t0: number,
    status: 'Started' | 'Restarted',
    detail?: string,
  ) => {
    run.progress('Container', a.name, status, true, t0, name, detail);
    if (svc.post_start?.length) await runExecHooks(engine, id, svc, 'post_start');
    return id;
  };
  const startNew = async (a: Action & { name: string }, id: string, t0: number) => {
    await run.step(async () => {
      run.progress('Container', a.name, 'Starting', false, undefined, name);
      await engine.startContainer(id);
    }, 1);
    return afterStart(a, id, t0, 'Started');
  };

  if (ctx.beforeStart && actions.length) await ctx.beforeStart(name);
  if (run.signal?.aborted) throw new Interrupted();

  const started = await Promise.allSettled(
    actions.map(async (a) => {
      const t0 = Date.now();
      if (a.kind === 'restart') {
        run.names.set(a.container.id, a.name);
        await run.step(async () => {
          run.progress('Container', a.name, 'Restarting', false, undefined, name);
          await engine.restartContainer(a.container.id);
        }, 1);
        return afterStart(a, a.container.id, t0, 'Restarted', `dependency "${a.dependency}" replaced`);
      }
      if (a.kind === 'start') {
        run.names.set(a.container.id, a.name);
        await run.step(async () => {
          run.progress('Container', a.name, 'Starting', false, undefined, name);
          await engine.startContainer(a.container.id);
        }, 1);
        return afterStart(a, a.container.id, t0, 'Started');
      }
      if (a.kind !== 'recreate') return startNew(a, await created.get(a)!, t0);
      return startNew(a, await replaceContainer(run, a, created.get(a)!, ctx.pending, t0), t0);
    }),
  );
  for (const r of started) if (r.status === 'fulfilled') self.ids.push(r.value);
  const bad = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (bad) {
    if (bad.reason instanceof Interrupted) throw bad.reason;
    const a = actions[started.indexOf(bad)]!;
    const id =
      a.kind === 'start' || a.kind === 'restart'
        ? a.container.id
        : await created.get(a)?.catch(() => undefined);
    let msg = engineMessage(bad.reason);
    if (isPortBindFailure(msg)) {
      // A port taken between the pre-check and the start: the pre-check's words, printed once, and a container
      // this run created that never ran is removed (as if the pre-check had caught it), so nothing is left in
      // `created`; a container that existed before this run is left as it was.
      msg = await portRaceMessage(engine, run.stack, name, msg);
      await Promise.allSettled(
        started.map(async (r, i) => {
          const x = actions[i]!;
          if (r.status !== 'rejected' || (x.kind !== 'create' && x.kind !== 'recreate')) return;
          const never = await created.get(x)?.catch(() => undefined);
          if (never) await engine.removeContainer(never, { force: true });
        }),
      );
      run.progress('Container', a.name, 'Error', true, undefined, name, msg);
      await run.fail(name, msg, undefined, a.name);
      throw new ServiceFailed(msg);
    }
    run.progress('Container', a.name, 'Error', true, undefined, name, msg);
    await run.fail(
      name,
      bad.reason instanceof HookFailed
        ? `service "${name}": ${msg}`
        : `service "${name}" failed to start: ${msg}`,
      id,
      a.name,
      hookOutput(bad.reason),
    );
    throw new ServiceFailed(msg);
  }
}

/**
 * `create` / `up --no-start`, as Compose: the containers are made and a recreate's successor takes its
 * predecessor's place, but nothing starts, so no dependency's condition is waited for and no hook runs.
 */
async function createOnly(
  ctx: ServiceContext,
  name: string,
  actions: ContainerAction[],
  created: Map<Action, Promise<string>>,
): Promise<void> {
  const { run } = ctx;
  const made = await Promise.allSettled(
    actions.map(async (a) => {
      if (a.kind === 'create') return created.get(a)!;
      if (a.kind === 'recreate') return replaceContainer(run, a, created.get(a)!, ctx.pending, Date.now());
      return a.container.id; // a start or restart is not in a no-start plan; the container stays as it is
    }),
  );
  for (const r of made) if (r.status === 'fulfilled') ctx.runs.get(name)!.ids.push(r.value);
  const bad = made.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (!bad) return;
  if (bad.reason instanceof Interrupted) throw bad.reason;
  const a = actions[made.indexOf(bad)]!;
  const msg = engineMessage(bad.reason);
  run.progress('Container', a.name, 'Error', true, undefined, name, msg);
  await run.fail(name, `service "${name}" could not be created: ${msg}`, undefined, a.name);
  throw new ServiceFailed(msg);
}

/** A failed hook's output, shown in place of the container's log lines. */
function hookOutput(err: unknown): string[] | undefined {
  return err instanceof HookFailed ? err.output : undefined;
}
