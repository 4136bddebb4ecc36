// Data snapshots (`berth snapshot --data`, `berth restore`): a copy of every named volume of one client, kept in
// volumes of their own. Those carry no project label, so nothing that acts on the project (`down -v` included)
// ever matches them: they are the safety net for it. The copy is made by a helper container from the local
// berth/busybox image (`cp -a` between the volumes, never a pull), while the services writing to the volumes are
// stopped for the copy (a clean stop: Redis saves its memory, PostgreSQL checkpoints) and started again.
import type { Stack } from '../model/stack.js';
import { listProjectContainers } from '../engine/observe.js';
import { isEngineError } from '../engine/errors.js';
import { BerthError, badInput } from '../errors.js';
import { Label, type ObservedContainer, type ObservedVolume } from '../model/index.js';
import { timestampTag } from '../stacks/snapshots.js';
import { emitter, type OpContext } from './context.js';
import { stopContainers } from './lifecycle.js';
import { serviceContainers } from './select.js';

/** Labels of a data snapshot volume; none of them is the project label, on purpose. */
export const DataLabel = {
  /** The snapshot's tag. */
  tag: 'dev.berth.data-snapshot',
  /** Project whose volume it copies. */
  of: 'dev.berth.data-of',
  /** Engine name of the copied volume. */
  source: 'dev.berth.data-source',
} as const;

export const HELPER_IMAGE = 'berth/busybox:latest';

export interface DataSnapshot {
  tag: string;
  project: string;
  stack: string;
  client?: string;
  time: string;
  /** Volume key in the stack file → snapshot volume name. */
  volumes: Record<string, string>;
  /** Filled by listDataSnapshots({ sizes: true }). */
  sizeBytes?: number;
}

/** `berth-data-<project>-<key>-<tag>`: readable in `docker volume ls`, unique per project, key and tag. */
export const dataVolumeName = (project: string, key: string, tag: string) =>
  `berth-data-${project}-${key}-${tag}`;

/** The stack's own named volumes (not external ones: those belong to someone else). */
function ownVolumes(stack: Stack): string[] {
  return Object.entries(stack.volumes)
    .filter(([, v]) => !v.external)
    .map(([k]) => k);
}

/** Containers of the project mounting any of these volume keys. */
function usersOf(stack: Stack, containers: ObservedContainer[], keys: string[]): ObservedContainer[] {
  const services = Object.values(stack.services)
    .filter((s) => s.volumes.some((m) => m.type === 'volume' && m.source && keys.includes(m.source)))
    .map((s) => s.name);
  return serviceContainers(containers, services);
}

function fromVolumes(vols: ObservedVolume[]): DataSnapshot[] {
  const byKey = new Map<string, DataSnapshot>();
  for (const v of vols) {
    const l = v.labels;
    const tag = l[DataLabel.tag];
    const project = l[DataLabel.of];
    const key = l[Label.volume];
    if (!tag || !project || !key) continue;
    const id = `${project}\0${tag}`;
    let s = byKey.get(id);
    if (!s) {
      s = {
        tag,
        project,
        stack: l[Label.stack] ?? '',
        client: l[Label.client] || undefined,
        time: l[Label.snapshotTime] ?? '',
        volumes: {},
      };
      byKey.set(id, s);
    }
    s.volumes[key] = v.name;
  }
  return [...byKey.values()].sort((a, b) => a.time.localeCompare(b.time));
}

/** Data snapshots of a project (or of every client of a stack); with sizes, one helper container measures them. */
export async function listDataSnapshots(
  ctx: OpContext,
  where: { project?: string; stack?: string; sizes?: boolean },
): Promise<DataSnapshot[]> {
  const labels: string[] = [DataLabel.tag];
  if (where.project) labels.push(`${DataLabel.of}=${where.project}`);
  if (where.stack) labels.push(`${Label.stack}=${where.stack}`);
  const list = fromVolumes(await ctx.engine.listVolumes({ labels }));
  if (where.sizes && list.length > 0) {
    const names = list.flatMap((s) => Object.values(s.volumes));
    const r = await ctx.engine.runTask({
      image: HELPER_IMAGE,
      cmd: ['sh', '-c', 'cd /v && du -sk -- *'],
      mounts: names.map((n) => ({ volume: n, target: `/v/${n}`, readOnly: true })),
      labels: { [DataLabel.tag]: 'helper' },
    });
    const kb = new Map<string, number>();
    for (const line of r.output) {
      const m = /^(\d+)\s+(\S+)$/.exec(line.trim());
      if (m) kb.set(m[2]!, Number(m[1]));
    }
    for (const s of list)
      s.sizeBytes = Object.values(s.volumes).reduce((sum, n) => sum + (kb.get(n) ?? 0) * 1024, 0);
  }
  return list;
}

/** Fail with the helper image named when it is missing: the copy never pulls. */
async function needHelper(ctx: OpContext): Promise<void> {
  if (!(await ctx.engine.inspectImage(HELPER_IMAGE)))
    throw new BerthError(`the helper image ${HELPER_IMAGE} is not on this engine`, {
      hint: 'build it with `npm run images` (berth copies volumes with it and never pulls it)',
    });
}

/** Copy pairs of volumes in one helper container: each `to` is emptied, then gets `from`'s files as they are. */
async function copyVolumes(ctx: OpContext, pairs: Array<{ from: string; to: string }>, what: string) {
  const script = pairs
    .map((_, i) => `rm -rf /to/${i}/* /to/${i}/.[!.]* /to/${i}/..?* && cp -a /from/${i}/. /to/${i}/`)
    .join(' && ');
  const r = await ctx.engine.runTask({
    image: HELPER_IMAGE,
    cmd: ['sh', '-c', `set -e; ${script}`],
    mounts: pairs.flatMap((p, i) => [
      { volume: p.from, target: `/from/${i}`, readOnly: true },
      { volume: p.to, target: `/to/${i}` },
    ]),
    labels: { [DataLabel.tag]: 'helper' },
  });
  if (r.exitCode !== 0)
    throw new BerthError(`${what} failed (helper exited ${r.exitCode})`, {
      hint: r.output.slice(-5).join('\n') || undefined,
    });
}

export interface DataSnapshotResult extends DataSnapshot {
  /** Services stopped for the copy and started again. */
  stopped: string[];
  ms: number;
  /** Services that failed to start again after the copy. */
  failed?: string[];
}

/** Save every named volume of the client under `tag` (default: the UTC time). */
export async function snapshotData(
  ctx: OpContext,
  stack: Stack,
  opts: { tag?: string; now?: Date } = {},
): Promise<DataSnapshotResult> {
  const t0 = Date.now();
  const { engine } = ctx;
  const now = opts.now ?? new Date();
  const tag = opts.tag ?? timestampTag(now);
  const keys = ownVolumes(stack);
  const [existing, containers, taken] = await Promise.all([
    engine.listVolumes({ labels: [`${Label.project}=${stack.project}`] }),
    listProjectContainers(engine, stack.project),
    listDataSnapshots(ctx, { project: stack.project }),
  ]);
  if (taken.some((s) => s.tag === tag))
    throw badInput(`${stack.project} already has a data snapshot ${tag}`, {
      hint: `choose another --tag, or remove it first: \`berth snapshot --data --rm ${tag}\``,
    });
  const present = keys.filter((k) => existing.some((v) => v.name === stack.volumes[k]!.name));
  if (present.length === 0)
    throw new BerthError(`${stack.project} has no volumes to snapshot yet`, {
      hint:
        keys.length === 0
          ? 'its stack file declares no named volumes'
          : `bring it up first (\`berth up\`): ${keys.join(', ')} do not exist yet`,
    });
  await needHelper(ctx);
  const writers = usersOf(stack, containers, present).filter((c) => c.state === 'running');
  const created: string[] = [];
  let stopped: ObservedContainer[] = [];
  let failed: string[] | undefined;
  try {
    const pairs = [];
    for (const key of present) {
      const to = dataVolumeName(stack.project, key, tag);
      await engine.createLabelledVolume(to, {
        [DataLabel.tag]: tag,
        [DataLabel.of]: stack.project,
        [DataLabel.source]: stack.volumes[key]!.name,
        [Label.stack]: stack.name,
        ...(stack.client ? { [Label.client]: stack.client } : {}),
        [Label.volume]: key,
        [Label.snapshotTime]: now.toISOString(),
      });
      created.push(to);
      pairs.push({ from: stack.volumes[key]!.name, to });
    }
    // Stopped, not paused: a paused Redis has its latest writes only in memory (it saves on a clean stop),
    // and what a paused database left on disk is only crash-consistent.
    if (writers.length) {
      const r = await stopContainers(ctx, stack, writers);
      stopped = writers;
      if (r.errors.length)
        throw new BerthError(`could not stop the services using the volumes: ${r.errors.join('; ')}`);
    }
    await copyVolumes(ctx, pairs, `snapshot of ${stack.project}`);
  } catch (err) {
    await Promise.all(created.map((n) => engine.removeVolume(n).catch(() => {})));
    if (isEngineError(err, 'conflict'))
      throw badInput(`a volume for data snapshot ${tag} of ${stack.project} already exists`, {
        hint: `choose another --tag (\`berth snapshot --data --list\` shows the tags in use)`,
      });
    throw err;
  } finally {
    if (stopped.length) failed = await startAgain(ctx, stack, stopped);
  }
  return {
    tag,
    project: stack.project,
    stack: stack.name,
    client: stack.client,
    time: now.toISOString(),
    volumes: Object.fromEntries(created.map((n, i) => [present[i]!, n])),
    stopped: [...new Set(stopped.map((c) => c.service))],
    ms: Date.now() - t0,
    failed,
  };
}

async function findSnapshot(ctx: OpContext, stack: Stack, tag: string): Promise<DataSnapshot> {
  const all = await listDataSnapshots(ctx, { project: stack.project });
  const found = all.find((s) => s.tag === tag);
  if (!found)
    throw badInput(`${stack.project} has no data snapshot ${tag}`, {
      hint: all.length
        ? `its data snapshots: ${all.map((s) => s.tag).join(', ')}`
        : 'take one with `berth snapshot --data --tag NAME`',
    });
  return found;
}

/** Start the containers stopped for a copy and wait for their health; the services that failed, if any. */
async function startAgain(
  ctx: OpContext,
  stack: Stack,
  containers: ObservedContainer[],
): Promise<string[] | undefined> {
  const services = [...new Set(containers.map((c) => c.service))];
  const [{ planStart }, { runUp }, { observe }] = await Promise.all([
    import('../plan/plan.js'),
    import('../executor/up.js'),
    import('../engine/observe.js'),
  ]);
  const plan = planStart(stack, await observe(ctx.engine, stack.project), services);
  const r = await runUp(ctx.engine, stack, plan, { signal: ctx.signal, onEvent: emitter(ctx), wait: true });
  return r.ok ? undefined : [...new Set(r.failures.map((f) => f.service))];
}

export interface RestoreResult {
  snapshot: DataSnapshot;
  /** Services stopped for the copy and started again (their health waited for). */
  restarted: string[];
  ms: number;
  /** A failure of the start after the copy (the data is back either way). */
  failed?: string[];
}

/**
 * Put a data snapshot back: stop the services using those volumes, replace the volumes' contents, start those
 * services again and wait for their health. Volumes that no longer exist (after `down -v`) are created for the
 * project first, so a fresh client starts from the snapshot on its next `up`.
 */
export async function restoreData(ctx: OpContext, stack: Stack, tag: string): Promise<RestoreResult> {
  const t0 = Date.now();
  const { engine } = ctx;
  const snap = await findSnapshot(ctx, stack, tag);
  const unknown = Object.keys(snap.volumes).filter((k) => !stack.volumes[k] || stack.volumes[k].external);
  if (unknown.length)
    throw badInput(
      `data snapshot ${tag} holds volumes this stack no longer declares: ${unknown.join(', ')}`,
      {
        hint: 'restore it with the stack file it was taken from, or remove it with `berth snapshot --data --rm`',
      },
    );
  await needHelper(ctx);
  const keys = Object.keys(snap.volumes);
  const containers = await listProjectContainers(engine, stack.project);
  const users = usersOf(stack, containers, keys).filter(
    (c) => c.state === 'running' || c.state === 'restarting' || c.state === 'paused',
  );
  const stopped = await stopContainers(ctx, stack, users);
  if (stopped.errors.length)
    throw new BerthError(`could not stop the services using the volumes: ${stopped.errors.join('; ')}`, {
      hint: 'nothing was restored',
    });
  for (const k of keys) await engine.createVolume({ stack, key: k });
  await copyVolumes(
    ctx,
    keys.map((k) => ({ from: snap.volumes[k]!, to: stack.volumes[k]!.name })),
    `restore of ${tag} into ${stack.project}`,
  );
  const services = [...new Set(users.map((c) => c.service))];
  const failed = users.length ? await startAgain(ctx, stack, users) : undefined;
  return { snapshot: snap, restarted: services, ms: Date.now() - t0, failed };
}

/** Delete a data snapshot (its volumes); the client's own volumes are not touched. */
export async function removeDataSnapshot(ctx: OpContext, stack: Stack, tag: string): Promise<DataSnapshot> {
  const snap = await findSnapshot(ctx, stack, tag);
  for (const name of Object.values(snap.volumes)) await ctx.engine.removeVolume(name);
  return snap;
}
