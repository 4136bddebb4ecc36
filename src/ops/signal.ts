// kill, pause and unpause: one engine call per running container of the selected services, as Compose does
// (no dependency order: a signal or a freeze is not a shutdown). Every container is tried; failures are
// collected so one stuck container does not hide the others.
import { listProjectContainers } from '../engine/observe.js';
import { engineMessage } from '../engine/errors.js';
import type { ObservedContainer } from '../model/index.js';
import type { OpContext } from './context.js';
import { serviceContainers, type Target } from './select.js';

export interface SignalResult {
  /** Containers acted on. */
  containers: ObservedContainer[];
  /** `name: what the engine said`, one per container that failed. */
  errors: string[];
}

async function each(
  ctx: OpContext,
  target: Target,
  services: string[] | undefined,
  pick: (c: ObservedContainer) => boolean,
  act: (id: string) => Promise<void>,
): Promise<SignalResult> {
  const containers = serviceContainers(await listProjectContainers(ctx.engine, target.project), services)
    .filter(pick)
    .sort((a, b) => a.name.localeCompare(b.name));
  const errors: string[] = [];
  await Promise.all(
    containers.map((c) => act(c.id).catch((err) => void errors.push(`${c.name}: ${engineMessage(err)}`))),
  );
  return { containers, errors };
}

/** Send a signal (SIGKILL unless told) to the running containers. */
export function kill(
  ctx: OpContext,
  target: Target,
  opts: { services?: string[]; signal?: string } = {},
): Promise<SignalResult> {
  return each(
    ctx,
    target,
    opts.services,
    (c) => c.state === 'running' || c.state === 'restarting',
    (id) => ctx.engine.killContainer(id, opts.signal ?? 'SIGKILL'),
  );
}

/** Freeze the running containers' processes. */
export function pause(ctx: OpContext, target: Target, opts: { services?: string[] } = {}) {
  return each(
    ctx,
    target,
    opts.services,
    (c) => c.state === 'running',
    (id) => ctx.engine.pauseContainer(id),
  );
}

/** Thaw paused containers. */
export function unpause(ctx: OpContext, target: Target, opts: { services?: string[] } = {}) {
  return each(
    ctx,
    target,
    opts.services,
    (c) => c.state === 'paused',
    (id) => ctx.engine.unpauseContainer(id),
  );
}
