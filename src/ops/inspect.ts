// The read-only verbs Compose users reach for: top, port, images. Each reads the engine and returns berth's
// own types; the CLI prints them in Compose's shapes.
import { listProjectContainers } from '../engine/observe.js';
import type { ProcessList } from '../engine/port.js';
import { BerthError } from '../errors.js';
import type { ObservedContainer } from '../model/index.js';
import type { OpContext } from './context.js';
import { isUp, serviceContainers, type Target } from './select.js';

/**
 * The container of a service that a single-container verb (port, cp) acts on: replica `index` when given,
 * otherwise the lowest-numbered one, as Compose picks (running ones first, so a stopped old replica never wins).
 */
export async function oneContainer(
  ctx: OpContext,
  target: Target,
  service: string,
  index?: number,
): Promise<ObservedContainer> {
  const all = serviceContainers(await listProjectContainers(ctx.engine, target.project), [service]);
  const pick = index
    ? all.find((c) => c.replica === index)
    : [...all].sort((a, b) => Number(isUp(b)) - Number(isUp(a)) || a.replica - b.replica)[0];
  if (!pick)
    throw new BerthError(
      index
        ? `service "${service}" has no container with index ${index} in project ${target.project}`
        : `service "${service}" has no container in project ${target.project}`,
      { hint: 'create it with `berth up`' },
    );
  return pick;
}

export interface TopEntry {
  container: ObservedContainer;
  processes: ProcessList;
}

/** The processes of every running container of the selected services, in name order. */
export async function top(
  ctx: OpContext,
  target: Target,
  opts: { services?: string[] } = {},
): Promise<TopEntry[]> {
  const running = serviceContainers(await listProjectContainers(ctx.engine, target.project), opts.services)
    .filter((c) => c.state === 'running')
    .sort((a, b) => a.name.localeCompare(b.name));
  return Promise.all(
    running.map(async (container) => ({ container, processes: await ctx.engine.topContainer(container.id) })),
  );
}

/** Where a container port of a service is published on the host; undefined when it is not. */
export async function port(
  ctx: OpContext,
  target: Target,
  opts: { service: string; port: number; protocol?: string; index?: number },
): Promise<{ hostIp: string; hostPort: number } | undefined> {
  const c = await oneContainer(ctx, target, opts.service, opts.index);
  const protocol = opts.protocol ?? 'tcp';
  // inspect: a listing omits the ports of a container that is not running
  const inspected = await ctx.engine.inspectContainer(c.id);
  const p = (inspected?.ports ?? c.ports).find((x) => x.target === opts.port && x.protocol === protocol);
  return p && { hostIp: p.hostIp || '0.0.0.0', hostPort: p.hostPort };
}

export interface ImageEntry {
  container: string;
  service: string;
  /** Image ID (`sha256:…`). */
  id: string;
  repository: string;
  tag: string;
  sizeBytes: number;
  /** Unix seconds. */
  created: number;
  lastTagTime?: Date;
}

/** The images of the project's containers (created ones too), one entry per container, by container name. */
export async function images(
  ctx: OpContext,
  target: Target,
  opts: { services?: string[] } = {},
): Promise<ImageEntry[]> {
  const containers = serviceContainers(
    await listProjectContainers(ctx.engine, target.project),
    opts.services,
  ).sort((a, b) => a.name.localeCompare(b.name));
  const byId = new Map<string, Awaited<ReturnType<typeof ctx.engine.inspectImage>>>();
  for (const id of new Set(containers.map((c) => c.imageId ?? c.image)))
    byId.set(id, await ctx.engine.inspectImage(id));
  return containers.map((c) => {
    const img = byId.get(c.imageId ?? c.image);
    // the reference the container was created from, when the image still carries it; else its first tag
    const ref = img?.tags.includes(c.image) ? c.image : (img?.tags[0] ?? '');
    const colon = ref.lastIndexOf(':');
    const split = colon > ref.lastIndexOf('/') ? colon : -1;
    return {
      container: c.name,
      service: c.service,
      id: img?.id ?? c.imageId ?? '',
      repository: split < 0 ? ref : ref.slice(0, split),
      tag: split < 0 ? (ref ? 'latest' : '') : ref.slice(split + 1),
      sizeBytes: img?.sizeBytes ?? 0,
      created: img?.created ?? 0,
      lastTagTime: img?.lastTagTime,
    };
  });
}
