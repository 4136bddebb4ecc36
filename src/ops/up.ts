// `up`: make the engine match the stack, changing only what differs. observe → images → plan → port check →
// execute. The plan is returned with the result, so callers can print it (`--dry-run`) or report on it.
import { testHook } from './test-hook.js';
import type { Stack } from '../model/stack.js';
import { listProjectContainers } from '../engine/observe.js';
import type { ObservedContainer, ObservedImage, ObservedState } from '../model/index.js';
import { type ExistingObject, namesToClaim } from '../plan/ownership.js';
import type { EngineLook } from './look.js';
import type { UpResult } from '../executor/up.js';
import { ensureImages } from '../images/ensure.js';
import { imageAction } from '../images/policy.js';
import type { Plan } from '../plan/types.js';
import { emitter, type OpContext } from './context.js';
import { readOwed, writeOwed } from './debt.js';
import { healDuplicateNetworks, holdsLock, type LockTaken, lockName, withProjectLock } from './lock.js';
import { checkOwnership, lookAtEngine } from './owners.js';
import { upProviders } from './providers.js';
import { hostPortsOf } from '../plan/host-ports.js';
import { Interrupted } from '../executor/wait.js';

export interface UpOptions {
  /** Services to bring up, dependencies included (all when undefined). */
  services?: string[];
  /** true: build first (`--build`); false: never build (`--no-build`); undefined: only what is missing. */
  build?: boolean;
  forceRecreate?: boolean;
  /** Recreated changed or not: `--always-recreate-deps` names the dependencies the named services pulled in. */
  forceRecreateServices?: string[];
  noRecreate?: boolean;
  /** Recreated containers start with fresh anonymous volumes (`-V`), not the old containers'. */
  renewAnonVolumes?: boolean;
  removeOrphans?: boolean;
  scale?: Record<string, number>;
  wait?: boolean;
  waitTimeoutMs?: number;
  /** Plan only: nothing is built, pulled or changed. */
  dryRun?: boolean;
  /** Use objects of the project's names that berth did not create for this stack (another stack, checkout, tool). */
  force?: boolean;
  /**
   * Containers of other projects that are stopping while this `up` runs (`use`): their host ports are not
   * clashes, and the services publishing host ports start only once `stopped` settles.
   */
  releasing?: { ids: readonly string[]; stopped: Promise<unknown> };
  /** `create`, `up --no-start`: create networks, volumes and containers; start nothing. */
  noStart?: boolean;
  /** `--pull`: every service's pull_policy for this run, as Compose's flag sets it. */
  pull?: PullFlag;
  /** `--quiet-pull`: no progress lines for pulls. */
  quietPull?: boolean;
  /** `-t`: grace period in seconds for the containers this run stops (recreates, scale-down). */
  timeoutSec?: number;
}

/** The values of Compose's `--pull` (besides `policy`, the default: each service's own pull_policy). */
export type PullFlag = 'always' | 'missing' | 'never' | 'build';

/** Compose's `--pull X` is every service's `pull_policy: X` for the run (pull_policy is not in the hash). */
export function withPullPolicy(stack: Stack, pull: PullFlag | undefined): Stack {
  if (!pull) return stack;
  const services = Object.fromEntries(
    Object.entries(stack.services).map(([k, s]) => [k, { ...s, pull_policy: pull }]),
  );
  return { ...stack, services };
}

/**
 * `create`, `up --no-start`: the plan without its starts and restarts. A stopped container stays stopped; a
 * running one owed a restart stays running as it is (it is still what the file asks for).
 */
export function withoutStarts(plan: Plan): Plan {
  const kept = plan.actions.filter((a) => a.kind !== 'start' && a.kind !== 'restart');
  const running = plan.actions.flatMap((a) => (a.kind === 'restart' ? [a.container] : []));
  return { ...plan, actions: kept, unchanged: [...plan.unchanged, ...running] };
}

export interface UpOutcome {
  plan: Plan;
  /**
   * A no-op found by the lock-free look alone: what that look saw, and the names `up` would have created. The
   * same look gives the same answer (src/memo keeps it).
   */
  seen?: NoopLook;
  /** Undefined for a dry run, and when there was nothing to do (and no `--wait`). */
  result?: UpResult;
}

export async function up(ctx: OpContext, given: Stack, opts: UpOptions = {}): Promise<UpOutcome> {
  const stack = withPullPolicy(given, opts.pull);
  if (opts.dryRun) return (await converge(ctx, stack, opts, 'dry-run')).outcome!;
  // The common case, an `up` with nothing to do, changes nothing and so needs no lock: look first, and take the
  // lock (two more engine calls, and a wait behind another berth) only when something is to be changed.
  const probe = await converge(ctx, stack, opts, 'probe');
  if (probe.outcome) return probe.outcome;
  return withProjectLock(ctx, [stack.project], async (taken) => {
    const look = await stillValid(ctx, stack.project, probe.look, taken[stack.project]);
    return (await converge(ctx, stack, opts, 'apply', look)).outcome!;
  });
}

export interface NoopLook {
  look: EngineLook;
  images: ReadonlyMap<string, ObservedImage | undefined>;
  claimed: ExistingObject[];
}

/** What the lock-free look saw, kept for the pass under the lock when nothing can have changed since. */
interface Look {
  observed: ObservedState;
  everything: ExistingObject[];
  images: Map<string, ObservedImage | undefined>;
  owed?: string[];
  plan?: Plan;
}

/**
 * The probe's look, if it still holds once the lock is ours. Held by this process all along (`use` calling
 * `up`): nothing else could change the project. Taken at the first try: nobody held it when we asked, but
 * another berth may have taken and given it back between our look and our lock, and every berth that changes a
 * project changes its containers, so one label-filtered list of them (instead of the whole engine's, twice)
 * tells. Taken after a wait: look again.
 */
async function stillValid(
  ctx: OpContext,
  project: string,
  look: Look | undefined,
  taken: LockTaken | undefined,
): Promise<Look | undefined> {
  if (!look || taken === 'waited' || taken === undefined) return undefined;
  if (taken === 'held') return look;
  const now = await listProjectContainers(ctx.engine, project);
  const key = (cs: readonly ObservedContainer[]) =>
    cs
      .map((c) => `${c.id} ${c.state}`)
      .sort()
      .join('\n');
  return key(now) === key(look.observed.containers) ? look : undefined;
}

/**
 * One pass of observe → images → plan → execute. `probe`: stop at the first sign that anything would change (a
 * lock held by another berth, a duplicate network to heal, an image to make, an action in the plan) — nothing is
 * changed — and return what it saw (`look`) unless another berth holds the lock; `dry-run`: plan only; `apply`:
 * everything, under the project's lock, from `reuse` (the probe's look) when given.
 */
async function converge(
  ctx: OpContext,
  given: Stack,
  opts: UpOptions,
  mode: 'probe' | 'dry-run' | 'apply',
  reuse?: Look,
): Promise<{ outcome?: UpOutcome; look?: Look }> {
  const { engine } = ctx;
  const emit = emitter(ctx);
  // Providers first: their variables are part of their dependents' configuration (and so of the plan). A dry
  // run does not call them; a probe stops here (running a provider is a change, as in Compose's every `up`).
  if (mode === 'probe' && Object.values(given.services).some((s) => s.provider)) return {};
  const stack = mode === 'apply' ? await upProviders(ctx, given, opts.services) : given;
  const wanted = (opts.services ?? Object.keys(stack.services))
    .map((s) => stack.services[s]!)
    .filter((s) => !s.provider);
  const refs = [...new Set(wanted.map((s) => s.image))];
  // The engine's version decides whether berth runs start_interval probes itself; asked now (it is cached), it
  // is not a serial call in front of the first start. (/info alone took 2.6 s at load 40.)
  if (mode === 'apply' && wanted.some((s) => s.healthcheck?.startIntervalMs))
    engine.engineApi().catch(() => {});
  const [{ observed, everything }, images] = reuse
    ? [reuse, reuse.images]
    : await Promise.all([
        lookAtEngine(engine, stack.project),
        Promise.all(refs.map((r) => engine.inspectImage(r))).then(
          (l) => new Map(refs.map((r, i) => [r, l[i]])),
        ),
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
  const look: Look = { observed, everything, images };
  if (mode === 'probe') {
    // our own lock (`use` holds it and calls `up`) is no other berth's
    const locked =
      !holdsLock(stack.project) &&
      everything.some((o) => o.kind === 'container' && o.name === lockName(stack.project));
    if (locked) return {};
    const names = observed.networks.map((n) => n.name);
    if (opts.wait || new Set(names).size !== names.length) return { look };
  }
  if (mode === 'apply') observed.networks = await healDuplicateNetworks(ctx, observed);
  const ready = wanted.every((s) => {
    const p = images.get(s.image);
    return imageAction(s, { exists: !!p, lastTagTime: p?.lastTagTime }, { build: opts.build }).do === 'none';
  });
  let imageIds = new Map(wanted.map((s) => [s.name, images.get(s.image)?.id ?? '']));
  if (!ready && mode === 'probe') return { look };
  if (!ready && mode === 'apply') {
    imageIds = await ensureImages(engine, wanted, {
      stack: stack.name,
      all: stack.services,
      build: opts.build,
      signal: ctx.signal,
      onProgress: (p) => {
        if (p.kind !== 'status') return;
        if (opts.quietPull && (p.message === 'pulling' || p.message === 'pulled')) return;
        emit({ type: 'image', service: p.service, message: `${p.image} ${p.message}` });
      },
    });
  }
  // The probe's plan stands when its look does and no image was made since (the plan names image IDs).
  look.owed = reuse?.owed ?? (await readOwed(stack.project));
  const { planUp } = await import('../plan/plan.js');
  const planned =
    reuse?.plan && ready
      ? reuse.plan
      : planUp(stack, observed, {
          imageIds: Object.fromEntries(imageIds),
          services: opts.services,
          forceRecreate: opts.forceRecreate,
          forceRecreateServices: opts.forceRecreateServices,
          noRecreate: opts.noRecreate,
          removeOrphans: opts.removeOrphans,
          scale: opts.scale,
          owedRestarts: look.owed,
        });
  const plan = opts.noStart ? withoutStarts(planned) : planned;
  look.plan = plan;
  if (mode === 'dry-run') return { outcome: { plan } };
  if (mode === 'probe' && plan.actions.length > 0) return { look };
  const kept = opts.removeOrphans ? [] : plan.orphans;
  if (kept.length)
    emit({
      type: 'warning',
      message: `found orphan containers (${kept.map((o) => o.name).join(', ')}) for project ${stack.project}: their services are not in the stack file; \`berth up --remove-orphans\` removes them`,
    });
  if (plan.actions.length === 0 && !opts.wait) {
    if (mode !== 'probe') return { outcome: { plan } };
    const claimed = [
      ...namesToClaim(stack, opts.services, opts.scale),
      { kind: 'container' as const, name: lockName(stack.project), labels: {} },
    ];
    return { outcome: { plan, seen: { look: { observed, everything }, images, claimed } } };
  }
  const [{ checkEngineSupport, checkPorts }, { runUp }] = await Promise.all([
    import('../executor/preflight.js'),
    import('../executor/up.js'),
  ]);
  await checkEngineSupport(engine, stack, plan);
  // Creating binds no port: a clash is for the later `start` to find, as in Compose.
  if (!opts.noStart) await checkPorts(engine, stack, plan, opts.releasing?.ids);
  await testHook('BERTH_TEST_HOOK_AFTER_PREFLIGHT');
  // Written down before a dependency is replaced, paid off once its dependents were restarted.
  const owed = plan.actions.flatMap((a) => (a.kind === 'restart' ? [a.service] : []));
  if (owed.length) await writeOwed(stack.project, owed);
  const result = await runUp(engine, stack, plan, {
    signal: ctx.signal,
    onEvent: emit,
    wait: opts.wait,
    waitTimeoutMs: opts.waitTimeoutMs,
    afterService: testHold(ctx, emit),
    beforeStart: portsReleased(stack, opts.releasing),
    renewAnonVolumes: opts.renewAnonVolumes,
    timeoutSec: opts.timeoutSec,
    noStart: opts.noStart,
  });
  if (owed.length && !result.interrupted) {
    const failed = new Set(result.failures.map((f) => f.service));
    await writeOwed(
      stack.project,
      owed.filter((s) => failed.has(s)),
    );
  }
  return { outcome: { plan, result } };
}

/**
 * A test hook, honoured only when BERTH_TEST_HOLD_AFTER=<service> is set: once that service's containers are
 * started, say so (a warning, on stderr) and hold until the run is interrupted, so an e2e test can Ctrl-C at
 * exactly that moment (between a dependency's recreate and its dependents' restarts) instead of racing a sleep.
 */
function testHold(ctx: OpContext, emit: ReturnType<typeof emitter>) {
  const service = process.env.BERTH_TEST_HOLD_AFTER;
  if (!service) return undefined;
  return async (name: string) => {
    if (name !== service) return;
    emit({
      type: 'warning',
      message: `test hold after "${name}" (BERTH_TEST_HOLD_AFTER): waiting for Ctrl-C`,
    });
    const signal = ctx.signal;
    if (!signal) return;
    if (!signal.aborted)
      await new Promise<void>((resolve) => {
        // A pending promise alone does not keep node running: hold the event loop open until Ctrl-C.
        const keepAlive = setInterval(() => {}, 60_000);
        signal.addEventListener(
          'abort',
          () => {
            clearInterval(keepAlive);
            resolve();
          },
          { once: true },
        );
      });
    throw new Interrupted();
  };
}

/** Services that publish a fixed host port wait for the other project's containers to have stopped. */
function portsReleased(stack: Stack, releasing: UpOptions['releasing']) {
  if (!releasing?.ids.length) return undefined;
  return async (service: string) => {
    if (hostPortsOf(service, stack.services[service]?.ports ?? []).length) await releasing.stopped;
  };
}
