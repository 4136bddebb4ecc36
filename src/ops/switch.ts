// `berth use NAME`: make a client the active one. Everything that can fail is checked before anything changes
// (ports held by projects that stay up, or by other processes); then the other clients stop while this client
// comes up (`up --wait`), its services that publish their host ports starting once the holders are gone.
import type { Stack } from '../model/stack.js';
import { listAllBerthContainers } from '../engine/observe.js';
import { hostPortClashes } from '../executor/preflight.js';
import { BerthError, ExitCode } from '../errors.js';
import type { ObservedContainer } from '../model/index.js';
import { stackHostPorts } from '../plan/host-ports.js';
import { writeActiveClient } from '../stacks/state.js';
import { byProject, otherClientsRunning, splitStops } from '../stacks/switch.js';
import { stackDirOf } from '../stacks/use.js';
import type { OpContext } from './context.js';
import { findForeign, ownershipError } from '../plan/ownership.js';
import { stopContainers } from './lifecycle.js';
import { withProjectLock } from './lock.js';
import { checkOwnership, lookAtEngine } from './owners.js';
import { type UpOutcome, up } from './up.js';
import { routerStack, type RouterSettings } from '../stacks/router.js';
import { type RouterSync, syncRouter } from './router.js';

export interface SwitchPlan {
  /** Running containers of the stack's other clients, to stop. */
  stopping: ObservedContainer[];
  /** Those holding a host port this client publishes (and their dependents): stopped before it starts. */
  first: ObservedContainer[];
  /** The rest: stopped while this client comes up. */
  later: ObservedContainer[];
}

/**
 * What `use` will stop; throws (changing nothing) when a port it needs is held by something staying up.
 * `together`: projects of the clients that run beside this one (`use A B`), which are not stopped.
 */
export async function planSwitch(
  ctx: OpContext,
  stack: Stack,
  opts: { force?: boolean; together?: readonly string[] } = {},
): Promise<SwitchPlan> {
  const [running, { observed, everything }] = await Promise.all([
    listAllBerthContainers(ctx.engine),
    lookAtEngine(ctx.engine, stack.project),
  ]);
  const stopping = otherClientsRunning(running, stack).filter((c) => !opts.together?.includes(c.project));
  // Another checkout's containers (this client's, or the other clients' it would stop) are not ours to take.
  const foreign = [
    ...checkOwnership(stack, everything, observed, { force: true, verb: 'use' }),
    ...findForeign(
      stack,
      stopping.map((c) => ({ kind: 'container' as const, name: c.name, labels: c.labels })),
    ).filter((f) => f.otherCheckout),
  ];
  if (foreign.length && !opts.force) throw ownershipError(stack, foreign, 'use');
  const wanted = stackHostPorts(stack);
  const msgs = await hostPortClashes(ctx.engine, wanted, {
    project: stack.project,
    releasing: new Set(stopping.map((c) => c.id)),
    own: 'any',
  });
  if (msgs.length > 0)
    throw new BerthError(msgs.join('\n'), {
      exitCode: ExitCode.StackFailure,
      hint: `nothing was stopped or started; ${stack.client ?? 'the stack'} is not active`,
    });
  return { stopping, ...splitStops(stopping, wanted, stack) };
}

export interface SwitchResult {
  /** Projects of the other clients that were stopped. */
  stopped: string[];
  errors: string[];
  up: UpOutcome;
  /**
   * From the same moment, concurrently: until the other clients' holders of this client's host ports had
   * stopped (only the services publishing those ports waited for it), and until this client was up and healthy.
   */
  stopMs: number;
  startMs: number;
}

export async function switchClient(
  ctx: OpContext,
  stack: Stack,
  opts: { waitTimeoutMs?: number; force?: boolean; router: RouterSettings },
): Promise<SwitchResult> {
  if (!stack.client) throw new Error('switchClient needs a stack loaded for a client');
  const others = otherClientsRunning(await listAllBerthContainers(ctx.engine), stack).map((c) => c.project);
  return withProjectLock(ctx, [stack.project, ...others], async () => {
    const r = await switchLocked(ctx, stack, opts);
    // A client that ran behind the router now has its own ports: the router lets go of it (and of the
    // clients just stopped), and goes away when nothing routed runs.
    if (r.up.result?.ok !== false && !r.up.result?.interrupted) await syncRouter(ctx, opts.router);
    return r;
  });
}

async function switchLocked(
  ctx: OpContext,
  stack: Stack,
  opts: { waitTimeoutMs?: number; force?: boolean },
): Promise<SwitchResult> {
  const plan = await planSwitch(ctx, stack, opts);
  // Recorded before the engine work: `use` records the choice even if bringing it up fails.
  await writeActiveClient(stackDirOf(stack), stack.client, [stack.client!]);
  const stopAll = async (cs: ObservedContainer[]) =>
    (await Promise.all([...byProject(cs).values()].map((g) => stopContainers(ctx, stack, g)))).flatMap(
      (r) => r.errors,
    );
  // Everything starts at once: the other clients' port holders stop while this client's services that do not
  // publish those ports come up; the ones that do start once the holders are gone.
  const t0 = Date.now();
  let stopMs = 0;
  const first = stopAll(plan.first).then((errs) => {
    stopMs = Date.now() - t0;
    return errs;
  });
  const rest = stopAll(plan.later);
  try {
    const outcome = await up(ctx, stack, {
      wait: true,
      waitTimeoutMs: opts.waitTimeoutMs,
      force: opts.force,
      releasing: { ids: plan.first.map((c) => c.id), stopped: first },
    });
    const startMs = Date.now() - t0;
    const errors = [...(await first), ...(await rest)];
    return {
      stopped: [...new Set(plan.stopping.map((c) => c.project))],
      errors,
      up: outcome,
      stopMs,
      startMs,
    };
  } finally {
    await Promise.allSettled([first, rest]);
  }
}

export interface SwitchManyResult {
  /** Projects of the stack's other clients that were stopped. */
  stopped: string[];
  errors: string[];
  /** Each client's `up`, in the order given. */
  ups: Array<{ stack: Stack; up: UpOutcome }>;
  /** What the router serves once they run; undefined when a client failed (the router was left as it was). */
  router?: RouterSync;
  startMs: number;
}

/**
 * `berth use A B …`: the clients run side by side (each loaded as routedStack: no host ports of its own,
 * reached through the router), the stack's other clients stop. Checked before anything changes: ownership
 * of each client and whether the router's port is free; the first client becomes the active one.
 */
export async function switchClients(
  ctx: OpContext,
  stacks: Stack[],
  opts: { waitTimeoutMs?: number; force?: boolean; router: RouterSettings },
): Promise<SwitchManyResult> {
  const first = stacks[0];
  if (!first?.client || stacks.length < 2) throw new Error('switchClients needs two or more clients');
  const together = stacks.map((s) => s.project);
  const others = otherClientsRunning(await listAllBerthContainers(ctx.engine), first)
    .map((c) => c.project)
    .filter((p) => !together.includes(p));
  return withProjectLock(ctx, [...together, ...others, opts.router.project], async () => {
    const plans = await Promise.all(stacks.map((s) => planSwitch(ctx, s, { ...opts, together })));
    const router = routerStack(opts.router);
    const routerMsgs = await hostPortClashes(ctx.engine, stackHostPorts(router), {
      project: router.project,
      releasing: new Set(plans[0]!.stopping.map((c) => c.id)),
      own: 'any',
    });
    if (routerMsgs.length > 0)
      throw new BerthError(routerMsgs.join('\n'), {
        exitCode: ExitCode.StackFailure,
        hint: 'set BERTH_ROUTER_PORT to a free port; nothing was stopped or started',
      });
    await writeActiveClient(
      stackDirOf(first),
      first.client,
      stacks.map((s) => s.client!),
    );
    const stopping = plans[0]!.stopping;
    const errors = (
      await Promise.all([...byProject(stopping).values()].map((g) => stopContainers(ctx, first, g)))
    ).flatMap((r) => r.errors);
    const t0 = Date.now();
    // One after another: each client's progress reads in order, and a client that fails stops the rest.
    const ups: SwitchManyResult['ups'] = [];
    for (const s of stacks) {
      const outcome = await up(ctx, s, { wait: true, waitTimeoutMs: opts.waitTimeoutMs, force: opts.force });
      ups.push({ stack: s, up: outcome });
      if (outcome.result && (!outcome.result.ok || outcome.result.interrupted)) break;
    }
    const failed = ups.some((u) => u.up.result && (!u.up.result.ok || u.up.result.interrupted));
    const routed = failed ? undefined : await syncRouter(ctx, opts.router);
    return {
      stopped: [...new Set(stopping.map((c) => c.project))],
      errors,
      ups,
      router: routed,
      startMs: Date.now() - t0,
    };
  });
}
