// `berth use NAME`: make a client the active one. Everything that can fail is checked before anything changes
// (ports held by projects that stay up, or by other processes); then the other clients stop while this client
// comes up (`up --wait`), its services that publish their host ports starting once the holders are gone.
import type { Stack } from '../model/stack.js';
import { listAllBerthContainers, observe } from '../engine/observe.js';
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
import { checkOwnership, listEverything } from './owners.js';
import { type UpOutcome, up } from './up.js';

export interface SwitchPlan {
  /** Running containers of the stack's other clients, to stop. */
  stopping: ObservedContainer[];
  /** Those holding a host port this client publishes (and their dependents): stopped before it starts. */
  first: ObservedContainer[];
  /** The rest: stopped while this client comes up. */
  later: ObservedContainer[];
}

/** What `use` will stop; throws (changing nothing) when a port it needs is held by something staying up. */
export async function planSwitch(
  ctx: OpContext,
  stack: Stack,
  opts: { force?: boolean } = {},
): Promise<SwitchPlan> {
  const [running, observed, everything] = await Promise.all([
    listAllBerthContainers(ctx.engine),
    observe(ctx.engine, stack.project),
    listEverything(ctx.engine),
  ]);
  const stopping = otherClientsRunning(running, stack);
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
  opts: { waitTimeoutMs?: number; force?: boolean } = {},
): Promise<SwitchResult> {
  if (!stack.client) throw new Error('switchClient needs a stack loaded for a client');
  const others = otherClientsRunning(await listAllBerthContainers(ctx.engine), stack).map((c) => c.project);
  return withProjectLock(ctx, [stack.project, ...others], () => switchLocked(ctx, stack, opts));
}

async function switchLocked(
  ctx: OpContext,
  stack: Stack,
  opts: { waitTimeoutMs?: number; force?: boolean },
): Promise<SwitchResult> {
  const plan = await planSwitch(ctx, stack, opts);
  // Recorded before the engine work: `use` records the choice even if bringing it up fails.
  await writeActiveClient(stackDirOf(stack), stack.client);
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
