// The executor for `up`: runs a Plan over the dependency graph. Every missing container is created at once
// (bounded by the queue); each service starts as soon as its own dependencies meet their conditions, with no
// level barriers; a failed service stops its dependents from starting and says why. On interrupt, in-flight
// engine calls finish, half-made recreates roll back, and what is left is a state the next `up` converges from.
// This file dispatches; one service's steps are in service.ts, the recreate swap in recreate.ts, condition
// waits in conditions.ts, removals in removals.ts.
import type { Engine } from '../engine/port.js';
import type { Plan } from '../plan/types.js';
import type { Stack } from '../model/stack.js';
import { ConditionWaits, isReported, type ServiceRun } from './conditions.js';
import { deferred } from './deferred.js';
import { dependencyEdges } from '../graph/deps.js';
import { engineMessage } from '../engine/errors.js';
import type { Failure, RunListener } from './events.js';
import { PendingSuccessors } from './recreate.js';
import { startRemovals } from './removals.js';
import { createResources } from './resources.js';
import { runService, ServiceFailed, Skipped } from './service.js';
import { startProbes } from './start-probes.js';
import { upRun } from './up-run.js';
import { ContainerWaiter, Interrupted, ready } from './wait.js';

export { temporaryName } from '../model/index.js';

export interface UpOptions {
  /** Engine calls in flight at once. The engine does the work; a bound keeps a 2-core machine responsive. */
  concurrency?: number;
  signal?: AbortSignal;
  onEvent?: RunListener;
  /** Wait until every service of the plan is running and healthy (`--wait`). */
  wait?: boolean;
  waitTimeoutMs?: number;
  /**
   * Called once a service's containers are started, before its dependents may go on. Tests use it to hold a
   * run at an exact point (see BERTH_TEST_HOLD_AFTER in ops/up.ts); a rejection is the service's outcome.
   */
  afterService?: (service: string) => Promise<void>;
  /**
   * Awaited before a service's containers start (after its dependencies are ready): `use` holds the services
   * that publish host ports until the other client's holders of those ports have stopped, and starts the rest
   * at once.
   */
  beforeStart?: (service: string) => Promise<void>;
  /** `--renew-anon-volumes`: recreated containers get fresh anonymous volumes instead of the old ones'. */
  renewAnonVolumes?: boolean;
  /** `up -t`: grace period in seconds for the containers the run stops (recreates, scale-down). */
  timeoutSec?: number;
  /**
   * `create`, `up --no-start`: containers are created (recreated) and nothing is started, so nothing waits for
   * a dependency's condition and no start hook runs. The plan carries no start or restart actions then.
   */
  noStart?: boolean;
}

export interface UpResult {
  ok: boolean;
  interrupted: boolean;
  failures: Failure[];
  /** Container IDs per service after the run (started or unchanged). */
  containers: Record<string, string[]>;
}

export async function runUp(
  engine: Engine,
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
  const run = upRun(engine, stack, queue, signal, opts.onEvent ?? (() => {}), opts.timeoutSec);
  const { failures } = run;
  const waiter = new ContainerWaiter(engine, stack.project, signal);
  const probeFor = await startProbes(engine, stack);
  const containers: Record<string, string[]> = {};

  const removals = startRemovals(run, plan);
  try {
    await createResources(run, plan);
  } catch (err) {
    await Promise.allSettled(removals.all);
    await waiter.close();
    if (err instanceof Interrupted) return { ok: false, interrupted: true, failures, containers };
    throw err;
  }

  const runs = new Map<string, ServiceRun>();
  for (const name of plan.services)
    runs.set(name, {
      started: deferred(),
      ids: plan.unchanged.filter((c) => c.service === name).map((c) => c.id),
      conditions: new Map(),
    });
  for (const c of plan.unchanged) run.names.set(c.id, c.name);
  const waits = new ConditionWaits(run, waiter, probeFor, runs);
  const pending = new PendingSuccessors();
  const ctx = {
    run,
    plan,
    edges,
    runs,
    waits,
    removals,
    pending,
    beforeStart: opts.beforeStart,
    renewAnonVolumes: opts.renewAnonVolumes,
    noStart: opts.noStart,
  };

  const tasks = order.map(async (name) => {
    const service = runs.get(name)!;
    try {
      await runService(ctx, name);
      await opts.afterService?.(name);
      service.started.resolve();
    } catch (err) {
      service.started.reject(err instanceof Interrupted ? err : new Skipped(String(err)));
      if (
        !(
          err instanceof Interrupted ||
          err instanceof Skipped ||
          err instanceof ServiceFailed ||
          isReported(err)
        )
      ) {
        await run.fail(name, `service "${name}": ${engineMessage(err)}`);
      }
    }
  });
  await Promise.allSettled([...tasks, ...removals.all]);
  // Health conditions that dependents asked for have settled by now; nothing else is pending.
  await Promise.allSettled([...runs.values()].flatMap((r) => [...r.conditions.values()]));

  let interrupted = signal?.aborted ?? false;
  if (!interrupted && opts.wait) {
    const all = plan.services.flatMap((name) => {
      if (failures.some((f) => f.service === name)) return [];
      return runs.get(name)!.ids.map((id) => waits.waitFor(name, id, ready, 'ready', opts.waitTimeoutMs));
    });
    const settled = await Promise.allSettled(all);
    interrupted = settled.some((r) => r.status === 'rejected' && r.reason instanceof Interrupted);
  }

  // Roll back half-made recreates: the old container still runs under its name; the next `up` retries.
  await pending.rollBack(run);
  await waiter.close();
  for (const [name, service] of runs) containers[name] = service.ids;
  return { ok: failures.length === 0 && !interrupted, interrupted, failures, containers };
}
