// start, stop, restart and rm: the lifecycle of existing containers. Stops go dependents first, starts go
// through the `up` executor so dependency conditions are honoured.
import type { Stack } from '../model/stack.js';
import { listProjectContainers, observe } from '../engine/observe.js';
import type { UpResult } from '../executor/up.js';
import { BerthError } from '../errors.js';
import type { ObservedContainer } from '../model/index.js';
import { emitter, type OpContext } from './context.js';
import { withProjectLock } from './lock.js';
import { resyncRouters, routersOf } from './router.js';
import { isUp, serviceContainers, type Target } from './select.js';

export interface StopResult {
  /** Containers acted on. */
  containers: ObservedContainer[];
  errors: string[];
}

/** Start existing containers, dependencies first, honouring `depends_on` conditions. */
export function start(ctx: OpContext, stack: Stack, services?: string[]): Promise<UpResult> {
  return withProjectLock(ctx, [stack.project], () => startLocked(ctx, stack, services));
}

async function startLocked(ctx: OpContext, stack: Stack, services?: string[]): Promise<UpResult> {
  const [{ planStart }, { runUp }] = await Promise.all([
    import('../plan/plan.js'),
    import('../executor/up.js'),
  ]);
  const observed = await observe(ctx.engine, stack.project);
  const plan = planStart(stack, observed, services);
  if (!plan.actions.length && !plan.unchanged.length)
    throw new BerthError(`no containers to start for project ${stack.project}`, {
      hint: 'create them with `berth up`',
    });
  const result = await runUp(ctx.engine, stack, plan, { signal: ctx.signal, onEvent: emitter(ctx) });
  // A routed client that started again is served by its router again.
  if (result.ok) await resyncRouters(ctx, routersOf(observed.containers));
  return result;
}

/**
 * Stop (never remove) containers, dependents first; then the provider services whose provider has a `stop`
 * (as Compose's stop). `providers: false` leaves them running: restart starts only containers again.
 */
export async function stop(
  ctx: OpContext,
  target: Target,
  opts: { services?: string[]; timeoutSec?: number; providers?: boolean } = {},
): Promise<StopResult> {
  return withProjectLock(ctx, [target.project], async () => {
    const containers = serviceContainers(
      await listProjectContainers(ctx.engine, target.project),
      opts.services,
    );
    const r = await stopContainers(ctx, target.stack, containers, { timeoutSec: opts.timeoutSec });
    // A routed client that stopped leaves the router (the others' connections are kept).
    await resyncRouters(ctx, routersOf(containers)).catch((err) => r.errors.push(`client router: ${err}`));
    if (target.stack && opts.providers !== false) {
      const { stopProviders } = await import('./providers.js');
      r.errors.push(...(await stopProviders(ctx, target.stack, opts.services)));
    }
    return r;
  });
}

/** Stop these containers of one stack (dependents first), removing them when asked. */
export async function stopContainers(
  ctx: OpContext,
  stack: Stack | undefined,
  containers: ObservedContainer[],
  opts: { timeoutSec?: number; remove?: boolean; volumes?: boolean } = {},
): Promise<StopResult> {
  const { runStop } = await import('../executor/stop.js');
  const { errors } = await runStop(ctx.engine, stack, containers, { ...opts, onEvent: emitter(ctx) });
  return { containers, errors };
}

/** Stop, then start: the restart Compose users expect (dependents stop first, dependencies start first). */
export async function restart(
  ctx: OpContext,
  stack: Stack,
  opts: { services?: string[]; timeoutSec?: number } = {},
): Promise<{ stopped: StopResult; started?: UpResult }> {
  return withProjectLock(ctx, [stack.project], async () => {
    // Compose's restart does not call providers: their resources stay as they are
    const stopped = await stop(ctx, { stack, project: stack.project }, { ...opts, providers: false });
    if (stopped.errors.length) return { stopped };
    return { stopped, started: await start(ctx, stack, opts.services) };
  });
}

export interface RmResult extends StopResult {
  /** Running containers left alone (no `--stop`). */
  kept: ObservedContainer[];
}

/** Remove stopped containers (running ones too with `stop`). */
export async function rm(
  ctx: OpContext,
  target: Target,
  opts: { services?: string[]; stop?: boolean; volumes?: boolean } = {},
): Promise<RmResult> {
  return withProjectLock(ctx, [target.project], () => rmLocked(ctx, target, opts));
}

async function rmLocked(
  ctx: OpContext,
  target: Target,
  opts: { services?: string[]; stop?: boolean; volumes?: boolean },
): Promise<RmResult> {
  const all = (await listProjectContainers(ctx.engine, target.project)).filter(
    (c) => !opts.services || opts.services.includes(c.service),
  );
  const running = all.filter(isUp);
  const targets = opts.stop ? all : all.filter((c) => !running.includes(c));
  const kept = opts.stop ? [] : running;
  if (!targets.length) return { containers: [], errors: [], kept };
  const r = await stopContainers(ctx, target.stack, targets, { remove: true, volumes: opts.volumes });
  return { ...r, kept };
}
