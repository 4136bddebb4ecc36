// `up`: make the engine match the stack, changing only what differs. observe → images → plan → port check →
// execute. The plan is returned with the result, so callers can print it (`--dry-run`) or report on it.
import { testHook } from './test-hook.js';
import type { Stack } from '../model/stack.js';
import { observe } from '../engine/observe.js';
import type { UpResult } from '../executor/up.js';
import { ensureImages } from '../images/ensure.js';
import { imageAction } from '../images/policy.js';
import type { Plan } from '../plan/types.js';
import { emitter, type OpContext } from './context.js';
import { readOwed, writeOwed } from './debt.js';
import { healDuplicateNetworks, lockName, withProjectLock } from './lock.js';
import { checkOwnership, listEverything } from './owners.js';
import { upProviders } from './providers.js';

export interface UpOptions {
  /** Services to bring up, dependencies included (all when undefined). */
  services?: string[];
  /** true: build first (`--build`); false: never build (`--no-build`); undefined: only what is missing. */
  build?: boolean;
  forceRecreate?: boolean;
  noRecreate?: boolean;
  removeOrphans?: boolean;
  scale?: Record<string, number>;
  wait?: boolean;
  waitTimeoutMs?: number;
  /** Plan only: nothing is built, pulled or changed. */
  dryRun?: boolean;
  /** Use objects of the project's names that berth did not create for this stack (another stack, checkout, tool). */
  force?: boolean;
}

export interface UpOutcome {
  plan: Plan;
  /** Undefined for a dry run, and when there was nothing to do (and no `--wait`). */
  result?: UpResult;
}

export async function up(ctx: OpContext, stack: Stack, opts: UpOptions = {}): Promise<UpOutcome> {
  if (opts.dryRun) return (await converge(ctx, stack, opts, 'dry-run'))!;
  // The common case, an `up` with nothing to do, changes nothing and so needs no lock: look first, and take the
  // lock (two more engine calls, and a wait behind another berth) only when something is to be changed.
  const unchanged = await converge(ctx, stack, opts, 'probe');
  if (unchanged) return unchanged;
  return withProjectLock(ctx, [stack.project], async () => (await converge(ctx, stack, opts, 'apply'))!);
}

/**
 * One pass of observe → images → plan → execute. `probe`: stop, returning undefined, at the first sign that
 * anything would change (a lock held by another berth, a duplicate network to heal, an image to make, an action
 * in the plan) — nothing is changed; `dry-run`: plan only; `apply`: everything, under the project's lock.
 */
async function converge(
  ctx: OpContext,
  given: Stack,
  opts: UpOptions,
  mode: 'probe' | 'dry-run' | 'apply',
): Promise<UpOutcome | undefined> {
  const { engine } = ctx;
  const emit = emitter(ctx);
  // Providers first: their variables are part of their dependents' configuration (and so of the plan). A dry
  // run does not call them; a probe stops here (running a provider is a change, as in Compose's every `up`).
  if (mode === 'probe' && Object.values(given.services).some((s) => s.provider)) return undefined;
  const stack = mode === 'apply' ? await upProviders(ctx, given, opts.services) : given;
  const wanted = (opts.services ?? Object.keys(stack.services))
    .map((s) => stack.services[s]!)
    .filter((s) => !s.provider);
  const refs = [...new Set(wanted.map((s) => s.image))];
  const [observed, images, everything] = await Promise.all([
    observe(engine, stack.project),
    Promise.all(refs.map((r) => engine.inspectImage(r))).then((l) => new Map(refs.map((r, i) => [r, l[i]]))),
    listEverything(engine),
  ]);
  // Before anything is built, created or removed: what has our names but is not ours stops us here.
  const foreign = checkOwnership(stack, everything, observed, {
    selected: opts.services,
    scale: opts.scale,
    force: opts.force,
    verb: 'up',
  });
  for (const f of foreign) {
    // --force: a foreign network or volume is used as it is (creating it again would fail on its name).
    if (f.kind === 'network' && !observed.networks.some((n) => n.name === f.name))
      observed.networks.push({ id: f.name, name: f.name, labels: f.labels });
    if (f.kind === 'volume' && !observed.volumes.some((v) => v.name === f.name))
      observed.volumes.push({ name: f.name, labels: f.labels });
  }
  if (mode === 'probe') {
    const locked = everything.some((o) => o.kind === 'container' && o.name === lockName(stack.project));
    const names = observed.networks.map((n) => n.name);
    if (locked || opts.wait || new Set(names).size !== names.length) return undefined;
  }
  if (mode === 'apply') observed.networks = await healDuplicateNetworks(ctx, observed);
  const ready = wanted.every((s) => {
    const p = images.get(s.image);
    return imageAction(s, { exists: !!p, lastTagTime: p?.lastTagTime }, { build: opts.build }).do === 'none';
  });
  let imageIds = new Map(wanted.map((s) => [s.name, images.get(s.image)?.id ?? '']));
  if (!ready && mode === 'probe') return undefined;
  if (!ready && mode === 'apply') {
    imageIds = await ensureImages(engine, wanted, {
      stack: stack.name,
      build: opts.build,
      signal: ctx.signal,
      onProgress: (p) => {
        if (p.kind === 'status')
          emit({ type: 'image', service: p.service, message: `${p.image} ${p.message}` });
      },
    });
  }
  const { planUp } = await import('../plan/plan.js');
  const plan = planUp(stack, observed, {
    imageIds: Object.fromEntries(imageIds),
    services: opts.services,
    forceRecreate: opts.forceRecreate,
    noRecreate: opts.noRecreate,
    removeOrphans: opts.removeOrphans,
    scale: opts.scale,
    owedRestarts: await readOwed(stack.project),
  });
  if (mode === 'dry-run') return { plan };
  if (mode === 'probe' && plan.actions.length > 0) return undefined;
  const kept = opts.removeOrphans ? [] : plan.orphans;
  if (kept.length)
    emit({
      type: 'warning',
      message: `found orphan containers (${kept.map((o) => o.name).join(', ')}) for project ${stack.project}: their services are not in the stack file; \`berth up --remove-orphans\` removes them`,
    });
  if (plan.actions.length === 0 && !opts.wait) return { plan };
  const [{ checkEngineSupport, checkPorts }, { runUp }] = await Promise.all([
    import('../executor/preflight.js'),
    import('../executor/up.js'),
  ]);
  await checkEngineSupport(engine, stack, plan);
  await checkPorts(engine, stack, plan);
  await testHook('BERTH_TEST_HOOK_AFTER_PREFLIGHT');
  // Written down before a dependency is replaced, paid off once its dependents were restarted.
  const owed = plan.actions.flatMap((a) => (a.kind === 'restart' ? [a.service] : []));
  if (owed.length) await writeOwed(stack.project, owed);
  const result = await runUp(engine, stack, plan, {
    signal: ctx.signal,
    onEvent: emit,
    wait: opts.wait,
    waitTimeoutMs: opts.waitTimeoutMs,
  });
  if (owed.length && !result.interrupted) {
    const failed = new Set(result.failures.map((f) => f.service));
    await writeOwed(
      stack.project,
      owed.filter((s) => failed.has(s)),
    );
  }
  return { plan, result };
}
