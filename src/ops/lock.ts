// One berth at a time per project. The lock is an object on the engine, not a file on this machine, so every
// process talking to the engine (two terminals, an editor integration, a CI job over TCP) sees it: a stopped,
// never-started container `berth-lock-<project>` made from an empty image. A container name is the one thing
// the engine creates atomically (a second create is a 409); networks are not (20.10 makes duplicates in a race).
//
// The lock's labels say who holds it: pid, host and since when; while it holds the lock, the holder beats (records
// the time on the lock) every quarter of BERTH_LOCK_STALE. A lock is stale, and taken over, when its holder was on
// this host and its pid is gone (a killed berth), or when its holder on another host (whose process cannot be
// checked from here) has not beaten for BERTH_LOCK_STALE seconds (600 by default): a berth that runs for an hour
// keeps its lock, a dead one loses it.
// Reentrant within a process: `use` holds its project's lock and calls `up`, which takes it again.
import { hostname } from 'node:os';
import { BerthError, ExitCode } from '../errors.js';
import type { ObservedNetwork, ObservedState } from '../model/index.js';
import { emitter, type OpContext } from './context.js';

export const LockLabel = {
  project: 'dev.berth.lock',
  pid: 'dev.berth.lock.pid',
  host: 'dev.berth.lock.host',
  since: 'dev.berth.lock.since',
} as const;

/** How a second caller behaves: wait for the lock (default) or fail at once (`--no-wait`, BERTH_NO_WAIT=1). */
export const lockSettings = {
  wait: !['1', 'true'].includes(process.env.BERTH_NO_WAIT ?? ''),
};

export const lockName = (project: string) => `berth-lock-${project}`;

const held = new Map<string, { id: string; count: number; stopBeat: () => void }>();

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Time for the lock, replaceable in tests: now, and a repeating timer that does not keep the process alive. */
export const lockClock = {
  now: (): number => Date.now(),
  every(ms: number, fn: () => void): () => void {
    const t = setInterval(fn, ms);
    t.unref();
    return () => clearInterval(t);
  },
};

const staleMs = () => (Number(process.env.BERTH_LOCK_STALE) || 600) * 1000;

/** Four beats per stale period: one lost or late beat (a busy engine) does not make a live holder look dead. */
export const beatMs = () => Math.max(250, Math.floor(staleMs() / 4));

/**
 * Whether a lock's holder is gone: pure apart from the pid probe, which only applies to this host. Another
 * host's holder is alive while it beats; a lock that never beat (an older berth) counts from when it was taken.
 */
export function isStale(
  labels: Record<string, string>,
  now = lockClock.now(),
  here = hostname(),
  alive: (pid: number) => boolean = pidAlive,
  beat?: string,
): boolean {
  const pid = Number(labels[LockLabel.pid]);
  if (labels[LockLabel.host] === here && Number.isInteger(pid) && pid > 0) return !alive(pid);
  const times = [Date.parse(labels[LockLabel.since] ?? ''), Date.parse(beat ?? '')].filter(Number.isFinite);
  return times.length === 0 || now - Math.max(...times) > staleMs();
}

const holderText = (labels: Record<string, string>) => {
  const host = labels[LockLabel.host];
  const mine = host === hostname();
  return `pid ${labels[LockLabel.pid] ?? '?'}${mine || !host ? '' : ` on ${host}`}, since ${labels[LockLabel.since] ?? '?'}`;
};

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });

/**
 * How a lock was taken: `held` this process had it already (it was held all along), `free` taken at the first
 * try (nobody held it at that moment), `waited` after another berth (or a stale lock) was in the way.
 */
export type LockTaken = 'held' | 'free' | 'waited';

/** Whether this process holds the project's lock now. */
export const holdsLock = (project: string) => held.has(project);

async function acquire(ctx: OpContext, project: string): Promise<LockTaken> {
  const mine = held.get(project);
  if (mine) {
    mine.count++;
    return 'held';
  }
  const { engine } = ctx;
  const name = lockName(project);
  const labels = {
    [LockLabel.project]: project,
    [LockLabel.pid]: String(process.pid),
    [LockLabel.host]: hostname(),
    [LockLabel.since]: new Date(lockClock.now()).toISOString(),
  };
  let announced = false;
  for (let attempt = 0; ; attempt++) {
    if (ctx.signal?.aborted)
      throw new BerthError(
        `interrupted while waiting for another berth on project ${project}; nothing changed`,
      );
    const id = await engine.createLock(name, labels);
    if (id) {
      held.set(project, { id, count: 1, stopBeat: heartbeat(ctx, id) });
      return attempt === 0 ? 'free' : 'waited';
    }
    const current = await engine.inspectLock(name);
    if (!current) continue; // released in between: try again at once
    if (isStale(current.labels, lockClock.now(), hostname(), pidAlive, current.beat)) {
      emitter(ctx)({
        type: 'warning',
        message: `took over the lock of project ${project} from a berth that is gone (${holderText(current.labels)})`,
      });
      await engine.removeLock(current.id);
      continue;
    }
    const text = `another berth on project ${project} (${holderText(current.labels)})`;
    if (!lockSettings.wait)
      throw new BerthError(`${text} is changing it; nothing was changed`, {
        exitCode: ExitCode.StackFailure,
        hint: 'try again when it is done, or leave out --no-wait to wait for it',
      });
    if (!announced) emitter(ctx)({ type: 'warning', message: `waiting for ${text}` });
    announced = true;
    // Jittered, so two waiters do not retry in step.
    await sleep(100 + Math.floor(Math.random() * 150) + Math.min(attempt, 10) * 20, ctx.signal);
  }
}

/**
 * Beat while the lock is held. A beat that fails (the engine busy or gone for a moment) is skipped: the next
 * one follows, and only several missed in a row make the lock look stale to others.
 */
function heartbeat(ctx: OpContext, id: string): () => void {
  let beating = false;
  return lockClock.every(beatMs(), () => {
    if (beating) return;
    beating = true;
    ctx.engine
      .refreshLock(id, new Date(lockClock.now()).toISOString())
      .catch(() => {})
      .finally(() => {
        beating = false;
      });
  });
}

async function release(ctx: OpContext, project: string): Promise<void> {
  const mine = held.get(project);
  if (!mine) return;
  if (--mine.count > 0) return;
  held.delete(project);
  mine.stopBeat();
  await ctx.engine.removeLock(mine.id);
}

/**
 * Run `fn` holding the lock of every project given (taken in name order, so two callers cannot deadlock); `fn`
 * is told how each lock was taken.
 */
export async function withProjectLock<T>(
  ctx: OpContext,
  projects: readonly string[],
  fn: (taken: Readonly<Record<string, LockTaken>>) => Promise<T>,
): Promise<T> {
  const taken: string[] = [];
  const how: Record<string, LockTaken> = {};
  try {
    for (const p of [...new Set(projects)].sort()) {
      how[p] = await acquire(ctx, p);
      taken.push(p);
    }
    return await fn(how);
  } finally {
    for (const p of taken.reverse()) await release(ctx, p).catch(() => {});
  }
}

/**
 * Two networks of one name in the project (an older berth or Compose racing itself on 20.10): every later
 * create or connect by name fails as "ambiguous". Keep the one the project's containers use (the busiest),
 * remove the other, empty ones, and go on with the kept one. A duplicate still in use is left and reported.
 */
export async function healDuplicateNetworks(
  ctx: OpContext,
  observed: ObservedState,
): Promise<ObservedNetwork[]> {
  const byName = new Map<string, ObservedNetwork[]>();
  for (const n of observed.networks) byName.set(n.name, [...(byName.get(n.name) ?? []), n]);
  const kept: ObservedNetwork[] = [];
  for (const [name, list] of byName) {
    if (list.length === 1) {
      kept.push(list[0]!);
      continue;
    }
    const used = (n: ObservedNetwork) =>
      (n.containers ?? []).filter((id) => observed.containers.some((c) => c.id === id)).length +
      (n.containers?.length ?? 0) / 1000;
    const sorted = [...list].sort((a, b) => used(b) - used(a));
    kept.push(sorted[0]!);
    for (const extra of sorted.slice(1)) {
      if (extra.containers?.length) {
        kept.push(extra);
        emitter(ctx)({
          type: 'warning',
          message: `project ${observed.project} has two networks named ${name} and both are in use; remove one by ID (${extra.id.slice(0, 12)}) when its containers are gone`,
        });
        continue;
      }
      await ctx.engine.removeNetwork(extra.id);
      emitter(ctx)({
        type: 'warning',
        message: `removed a duplicate network ${name} (${extra.id.slice(0, 12)}) left by an earlier run`,
      });
    }
  }
  return kept;
}
