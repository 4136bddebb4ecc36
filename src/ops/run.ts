// `berth run`: a one-off container from a service's definition. Its dependencies come up through the same
// planner and executor as `up`; its own networks and volumes through the same resource planning.
import { randomBytes } from 'node:crypto';
import type { Stack } from '../model/stack.js';
import { engineMessage } from '../engine/errors.js';
import { observe } from '../engine/observe.js';
import type { OneOffSpec, Session, SessionIO } from '../engine/port.js';
import { BerthError } from '../errors.js';
import { ensureImages } from '../images/ensure.js';
import { planResources } from '../plan/plan.js';
import { emitter, type OpContext } from './context.js';
import { withProjectLock } from './lock.js';
import { selectServices } from './select.js';
import { up } from './up.js';

export const oneOffName = (project: string, service: string) =>
  `${project}-${service}-run-${randomBytes(3).toString('hex')}`;

/** Everything a one-off needs before it is created: dependencies up, its image, its networks and volumes. */
export function prepareRun(
  ctx: OpContext,
  stack: Stack,
  service: string,
  opts: { deps: boolean; build?: boolean },
): Promise<void> {
  // Held while the project changes (dependencies, networks, volumes), not for the one-off's whole session.
  return withProjectLock(ctx, [stack.project], () => prepareRunLocked(ctx, stack, service, opts));
}

async function prepareRunLocked(
  ctx: OpContext,
  stack: Stack,
  service: string,
  opts: { deps: boolean; build?: boolean },
): Promise<void> {
  const emit = emitter(ctx);
  if (opts.deps) {
    const deps = (selectServices(stack, [service], true) ?? []).filter((s) => s !== service);
    if (deps.length) {
      // healthy dependencies must be healthy before the one-off starts, as `up` would have it
      const wait = Object.values(stack.services[service]!.depends_on).some(
        (d) => d.condition === 'service_healthy',
      );
      const { result } = await up(ctx, stack, { services: deps, wait });
      if (result && !result.ok) {
        const names = [...new Set(result.failures.map((f) => f.service))];
        throw new BerthError(`dependencies of ${service} failed to start: ${names.join(', ')}`, {
          hint: `see above; \`berth run --no-deps ${service}\` runs it without them`,
        });
      }
    }
  }
  await ensureImages(ctx.engine, [stack.services[service]!], {
    stack: stack.name,
    all: stack.services,
    build: opts.build ? true : undefined,
    signal: ctx.signal,
    onProgress: (p) => {
      if (p.kind === 'status')
        emit({ type: 'image', service: p.service, message: `${p.image} ${p.message}` });
    },
  });
  const resources = planResources(stack, await observe(ctx.engine, stack.project), [service]);
  await Promise.all(
    resources.map((a) =>
      a.kind === 'create-network'
        ? ctx.engine.createNetwork({ stack, key: a.key })
        : a.kind === 'create-volume'
          ? ctx.engine.createVolume({ stack, key: a.key })
          : undefined,
    ),
  );
}

export async function createOneOff(ctx: OpContext, spec: Omit<OneOffSpec, 'kind'>): Promise<string> {
  try {
    return await ctx.engine.createContainer({ kind: 'oneoff', ...spec });
  } catch (err) {
    throw new BerthError(`cannot create the one-off container for ${spec.service}: ${engineMessage(err)}`);
  }
}

/** Attach, start and follow a created one-off to its end; removes it afterwards when asked. */
export async function runAttached(
  ctx: OpContext,
  id: string,
  service: string,
  io: SessionIO,
  opts: { remove?: boolean; onSession?: (s: Session) => void },
): Promise<number> {
  try {
    const session = await ctx.engine.attachAndStart(id, io);
    opts.onSession?.(session);
    return await session.done;
  } catch (err) {
    throw new BerthError(`cannot run ${service}: ${engineMessage(err)}`);
  } finally {
    if (opts.remove) await ctx.engine.removeContainer(id, { force: true, volumes: true });
  }
}
