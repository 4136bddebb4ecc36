// Container snapshots (`berth snapshot`, `diff`, `export`): commit a service's container to a labelled image,
// list them, show a container's filesystem changes, write a container or snapshot to a tar.
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { BerthError, badInput } from '../errors.js';
import {
  type FsChange,
  Label,
  type ObservedContainer,
  projectSelector,
  snapshotRepo,
} from '../model/index.js';
import { type SnapshotInfo, timestampTag } from '../stacks/snapshots.js';
import type { OpContext } from './context.js';
import { serviceContainers } from './select.js';

export interface ServiceRef {
  project: string;
  service: string;
  /** Replica number (Compose's `--index`), 1 by default. */
  index?: number;
}

/** The container of one replica of a service (never a one-off `berth run` container). */
export async function serviceContainer(ctx: OpContext, ref: ServiceRef): Promise<ObservedContainer> {
  const list = await ctx.engine.listContainers({
    all: true,
    labels: [projectSelector(ref.project), `${Label.service}=${ref.service}`],
  });
  const replicas = serviceContainers(list).sort((a, b) => a.replica - b.replica);
  const index = ref.index ?? 1;
  const found =
    replicas.find((c) => c.replica === index) ?? (ref.index === undefined ? replicas[0] : undefined);
  if (!found) {
    const what = ref.index === undefined ? '' : ` replica ${index}`;
    throw new BerthError(`service ${ref.service}${what} of project ${ref.project} has no container`, {
      hint:
        replicas.length > 0
          ? `it has replicas ${replicas.map((c) => c.replica).join(', ')}`
          : `start it first: \`berth up -d ${ref.service}\``,
    });
  }
  return found;
}

export interface CommitOptions extends ServiceRef {
  stack: string;
  client?: string;
  tag?: string;
  now?: Date;
}

/**
 * Commit the container to `berth-snapshot/<project>-<service>:<tag>`, labelled so `snapshot --list` finds it
 * and a later run can tell where it came from. Paused while committing, so the image is one point in time.
 */
export async function snapshot(ctx: OpContext, opts: CommitOptions): Promise<SnapshotInfo> {
  const { engine } = ctx;
  const c = await serviceContainer(ctx, opts);
  const now = opts.now ?? new Date();
  const tag = opts.tag ?? timestampTag(now);
  const repo = snapshotRepo(opts.project, opts.service);
  const labels: Record<string, string> = {
    ...identityCleared(c.labels),
    [Label.snapshotProject]: opts.project,
    [Label.snapshotStack]: opts.stack,
    [Label.snapshotService]: opts.service,
    [Label.snapshotTime]: now.toISOString(),
  };
  if (opts.client) labels[Label.snapshotClient] = opts.client;
  const previous = await engine.inspectImage(`${repo}:${tag}`);
  const id = await engine.commitContainer(c.id, {
    repo,
    tag,
    comment: `berth snapshot of ${opts.project}/${opts.service}`,
    pause: true,
    labels,
  });
  // The same tag taken again: the older snapshot lost its name; it was berth's, so it goes.
  if (previous && previous.id !== id && previous.labels[Label.snapshotTime])
    await engine.removeImage(previous.id).catch(() => {});
  const info = await engine.inspectImage(id);
  return {
    ref: `${repo}:${tag}`,
    id,
    project: opts.project,
    stack: opts.stack,
    service: opts.service,
    client: opts.client,
    time: now.toISOString(),
    sizeBytes: info?.sizeBytes ?? 0,
  };
}

/**
 * The container's berth and Compose labels, emptied: a commit copies them into the image, and every container
 * made from it would carry them (an engine cannot drop an inherited label, only change its value). With an
 * empty project label no query of berth's, nor Compose's, counts such a container as a project's.
 */
function identityCleared(labels: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of Object.keys(labels))
    if (k.startsWith('dev.berth.') || k.startsWith('com.docker.compose.')) out[k] = '';
  return out;
}

/** Where a snapshot image came from: its origin labels, or (berth before 2026-11-30) its identity labels. */
function originOf(l: Record<string, string>) {
  return {
    project: l[Label.snapshotProject] ?? l[Label.project] ?? '',
    stack: l[Label.snapshotStack] ?? l[Label.stack] ?? '',
    service: l[Label.snapshotService] ?? l[Label.service] ?? '',
    client: (l[Label.snapshotClient] ?? l[Label.client]) || undefined,
  };
}

/** Snapshots of a stack (every client) or of one project, from their labels. */
export async function listSnapshots(
  ctx: OpContext,
  where: { stack?: string; project?: string; service?: string },
): Promise<SnapshotInfo[]> {
  const out: SnapshotInfo[] = [];
  for (const img of await ctx.engine.listImages({ labels: [Label.snapshotTime] })) {
    const l = img.labels;
    const base = { id: img.id, ...originOf(l), time: l[Label.snapshotTime] ?? '', sizeBytes: img.sizeBytes };
    if (
      (where.stack && base.stack !== where.stack) ||
      (where.project && base.project !== where.project) ||
      (where.service && base.service !== where.service)
    )
      continue;
    if (img.tags.length === 0) out.push({ ...base, ref: img.id.replace(/^sha256:/, '').slice(0, 12) });
    for (const ref of img.tags) out.push({ ...base, ref });
  }
  return out;
}

/** What changed in the container's filesystem since it was created from its image. */
export async function diff(ctx: OpContext, ref: ServiceRef): Promise<FsChange[]> {
  return ctx.engine.containerChanges((await serviceContainer(ctx, ref)).id);
}

/** Stream into `file` through a temporary name, so a failed export never leaves a truncated tar behind. */
async function streamToFile(stream: NodeJS.ReadableStream, file: string): Promise<void> {
  const tmp = `${file}.${process.pid}.partial`;
  try {
    await pipeline(stream, createWriteStream(tmp));
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ENOENT' || e.code === 'EACCES' || e.code === 'EISDIR')
      throw badInput(`cannot write ${file}: ${e.code}`, {
        hint: 'check that the folder exists and is writable',
      });
    throw err;
  }
}

/** `docker save` of one image reference (loadable with `docker load`). */
export async function saveImage(ctx: OpContext, ref: string, file: string): Promise<void> {
  if (!(await ctx.engine.inspectImage(ref)))
    throw badInput(`no snapshot ${ref}`, {
      hint: '`berth snapshot --list` shows the snapshots of this stack',
    });
  await streamToFile(await ctx.engine.saveImage(ref), file);
}

/** `docker export` of the container's filesystem (importable with `docker import`). */
export async function exportRootfs(ctx: OpContext, ref: ServiceRef, file: string): Promise<void> {
  const c = await serviceContainer(ctx, ref);
  await streamToFile(await ctx.engine.exportContainer(c.id), file);
}

/**
 * Write the container as it is now, as an image tar: commit it under a throwaway tag (the tag the tar will
 * load as), save it, then drop the local image so an export does not pile up snapshots.
 */
export async function exportContainerImage(
  ctx: OpContext,
  opts: CommitOptions,
  file: string,
): Promise<SnapshotInfo> {
  const now = opts.now ?? new Date();
  const snap = await snapshot(ctx, { ...opts, now, tag: opts.tag ?? `export-${timestampTag(now)}` });
  try {
    await streamToFile(await ctx.engine.saveImage(snap.ref), file);
  } finally {
    await ctx.engine.removeImage(snap.ref).catch(() => {});
  }
  return snap;
}
