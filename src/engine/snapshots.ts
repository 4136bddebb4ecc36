// Environment snapshots on the engine: commit a service's container to a labelled image, list what changed in
// its filesystem, and write images or filesystems to tar files for use elsewhere.
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import type Docker from 'dockerode';
import { BerthError, badInput } from '../errors.js';
import {
  changeKind,
  type FsChange,
  type SnapshotInfo,
  snapshotRepo,
  timestampTag,
} from '../stacks/snapshots.js';
import { Label } from './labels.js';

export const SnapshotLabel = { time: 'dev.berth.snapshot-time' } as const;

export interface ServiceRef {
  project: string;
  service: string;
  /** Replica number (Compose's `--index`), 1 by default. */
  index?: number;
}

/** The container of one replica of a service (never a one-off `berth run` container). */
export async function serviceContainer(docker: Docker, ref: ServiceRef): Promise<Docker.ContainerInfo> {
  const list = await docker.listContainers({
    all: true,
    filters: JSON.stringify({
      label: [`${Label.project}=${ref.project}`, `${Label.service}=${ref.service}`],
    }),
  });
  const replicas = list
    .filter((c) => !c.Labels?.[Label.oneoff] || c.Labels[Label.oneoff] === 'false')
    .sort((a, b) => Number(a.Labels?.[Label.replica] ?? 1) - Number(b.Labels?.[Label.replica] ?? 1));
  const index = ref.index ?? 1;
  const found =
    replicas.find((c) => Number(c.Labels?.[Label.replica] ?? 1) === index) ??
    (ref.index === undefined ? replicas[0] : undefined);
  if (!found) {
    const what = ref.index === undefined ? '' : ` replica ${index}`;
    throw new BerthError(`service ${ref.service}${what} of project ${ref.project} has no container`, {
      hint:
        replicas.length > 0
          ? `it has replicas ${replicas.map((c) => c.Labels?.[Label.replica] ?? '1').join(', ')}`
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
 * and a later run can tell where it came from. The container is paused while committing (engine default),
 * so the image is a consistent point in time.
 */
export async function commitSnapshot(docker: Docker, opts: CommitOptions): Promise<SnapshotInfo> {
  const c = await serviceContainer(docker, opts);
  const now = opts.now ?? new Date();
  const tag = opts.tag ?? timestampTag(now);
  const repo = snapshotRepo(opts.project, opts.service);
  const labels: Record<string, string> = {
    [Label.project]: opts.project,
    [Label.stack]: opts.stack,
    [Label.service]: opts.service,
    [SnapshotLabel.time]: now.toISOString(),
  };
  if (opts.client) labels[Label.client] = opts.client;
  // Moving a tag onto a new snapshot leaves the old image untagged; remember it to clean it up below.
  const previous = await docker
    .getImage(`${repo}:${tag}`)
    .inspect()
    .catch(() => undefined);
  const changes = [
    `LABEL ${Object.entries(labels)
      .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
      .join(' ')}`,
  ];
  // `_body: {}` sends no body: the engine then starts from the container's own config (cmd, env, ...).
  const res = (await docker.getContainer(c.Id).commit({
    _query: {
      container: c.Id,
      repo,
      tag,
      comment: `berth snapshot of ${opts.project}/${opts.service}`,
      pause: true,
      changes,
    },
    _body: {},
  })) as { Id: string };
  // Only an image berth made as a snapshot is ever removed, never something else tagged with that name.
  if (previous && previous.Id !== res.Id && previous.Config?.Labels?.[SnapshotLabel.time]) {
    // Only succeeds when nothing else uses or tags it; otherwise it stays, listed by its ID.
    await docker
      .getImage(previous.Id)
      .remove()
      .catch(() => {});
  }
  const info = await docker.getImage(res.Id).inspect();
  return {
    ref: `${repo}:${tag}`,
    id: res.Id,
    project: opts.project,
    stack: opts.stack,
    service: opts.service,
    client: opts.client,
    time: now.toISOString(),
    sizeBytes: info.Size ?? 0,
  };
}

/** Snapshots of a stack (every client) or of one project, from their labels. */
export async function listSnapshots(
  docker: Docker,
  where: { stack?: string; project?: string; service?: string },
): Promise<SnapshotInfo[]> {
  const label: string[] = [SnapshotLabel.time];
  if (where.stack) label.push(`${Label.stack}=${where.stack}`);
  if (where.project) label.push(`${Label.project}=${where.project}`);
  if (where.service) label.push(`${Label.service}=${where.service}`);
  const images = await docker.listImages({ filters: JSON.stringify({ label }) });
  const out: SnapshotInfo[] = [];
  for (const img of images) {
    const l = img.Labels ?? {};
    const base = {
      id: img.Id,
      project: l[Label.project] ?? '',
      stack: l[Label.stack] ?? '',
      service: l[Label.service] ?? '',
      client: l[Label.client] || undefined,
      time: l[SnapshotLabel.time] ?? '',
      sizeBytes: img.Size ?? 0,
    };
    const tags = (img.RepoTags ?? []).filter((t) => t !== '<none>:<none>');
    if (tags.length === 0) out.push({ ...base, ref: img.Id.replace(/^sha256:/, '').slice(0, 12) });
    for (const ref of tags) out.push({ ...base, ref });
  }
  return out;
}

/** What changed in the container's filesystem since it was created from its image. */
export async function containerChanges(docker: Docker, ref: ServiceRef): Promise<FsChange[]> {
  const c = await serviceContainer(docker, ref);
  const list = ((await docker.getContainer(c.Id).changes()) ?? []) as Array<{ Path: string; Kind: number }>;
  return list.map((ch) => ({ path: ch.Path, kind: changeKind(ch.Kind) }));
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
export async function saveImage(docker: Docker, ref: string, file: string): Promise<void> {
  await streamToFile(await docker.getImage(ref).get(), file);
}

/** `docker export` of the container's filesystem (importable with `docker import`). */
export async function exportRootfs(docker: Docker, ref: ServiceRef, file: string): Promise<void> {
  const c = await serviceContainer(docker, ref);
  await streamToFile(await docker.getContainer(c.Id).export(), file);
}

/**
 * Write the container as it is now, as an image tar: commit it under a throwaway tag (the tag the tar will
 * load as), save it, then drop the local image so an export does not pile up snapshots.
 */
export async function exportContainerImage(
  docker: Docker,
  opts: CommitOptions,
  file: string,
): Promise<SnapshotInfo> {
  const now = opts.now ?? new Date();
  const snap = await commitSnapshot(docker, { ...opts, now, tag: opts.tag ?? `export-${timestampTag(now)}` });
  try {
    await saveImage(docker, snap.ref, file);
  } finally {
    await docker
      .getImage(snap.ref)
      .remove()
      .catch(() => {});
  }
  return snap;
}
