// `down`: stop and remove the project's containers (dependents first) and networks; named volumes and images
// only when asked. Works from labels alone when there is no stack file.
import { engineMessage } from '../engine/errors.js';
import { observe } from '../engine/observe.js';
import type { ObservedContainer } from '../model/index.js';
import { emitter, type OpContext } from './context.js';
import { imageCandidates, type RmiMode, removeImages } from './image-removal.js';
import { stopContainers } from './lifecycle.js';
import { withProjectLock } from './lock.js';
import { releaseRouters, resyncRouters, routersOf } from './router.js';
import { checkLabelled, labelledObjects } from './owners.js';
import { downProviders, findProviders } from './providers.js';
import type { Target } from './select.js';

export interface DownOptions {
  volumes?: boolean;
  removeOrphans?: boolean;
  timeoutSec?: number;
  /** Remove what carries the project label even when another stack or checkout made it. */
  force?: boolean;
  /** `--rmi`: also remove the images the services use (`all`) or only those berth built under its default name. */
  rmi?: RmiMode;
}

export interface DownResult {
  /** Containers of services no longer in the stack file, left alone without `removeOrphans`. */
  orphans: ObservedContainer[];
  /** Nothing of the project was there to remove. */
  nothing: boolean;
  errors: string[];
}

export function down(ctx: OpContext, target: Target, opts: DownOptions = {}): Promise<DownResult> {
  return withProjectLock(ctx, [target.project], () => downLocked(ctx, target, opts));
}

async function downLocked(ctx: OpContext, target: Target, opts: DownOptions): Promise<DownResult> {
  const { engine } = ctx;
  const emit = emitter(ctx);
  const { stack, project } = target;
  const observed = await observe(engine, project);
  // Another stack or checkout under this project name: its containers and volumes are not ours to remove.
  if (stack) checkLabelled(stack, labelledObjects(observed), { force: opts.force, verb: 'down' });
  const known = stack ? new Set([...Object.keys(stack.services), ...stack.disabledServices]) : undefined;
  const isOrphan = (service: string) => known !== undefined && !known.has(service);
  const containers = observed.containers.filter((c) => opts.removeOrphans || !isOrphan(c.service));
  const orphans = observed.containers.filter((c) => !containers.includes(c));
  if (orphans.length)
    emit({
      type: 'warning',
      message: `found orphan containers (${orphans.map((o) => o.name).join(', ')}); \`berth down --remove-orphans\` removes them`,
    });
  // provider binaries are looked up first: a missing one stops `down` before it removed anything
  const providers = stack ? await findProviders(stack) : new Map<string, string>();
  const { errors } = await stopContainers(ctx, stack, containers, {
    remove: true,
    volumes: opts.volumes,
    timeoutSec: opts.timeoutSec,
  });
  const step = async (kind: 'Network' | 'Volume', name: string, fn: () => Promise<void>) => {
    const t0 = Date.now();
    try {
      await fn();
      emit({ type: 'progress', kind, name, status: 'Removed', done: true, elapsedMs: Date.now() - t0 });
    } catch (err) {
      errors.push(`${kind.toLowerCase()} ${name}: ${engineMessage(err)}`);
      emit({ type: 'progress', kind, name, status: 'Error', done: true, detail: engineMessage(err) });
    }
  };
  // A client router attached to these networks would keep the engine from removing them.
  await releaseRouters(
    ctx,
    observed.networks.map((n) => n.name),
  ).catch((err) => errors.push(`client router: ${engineMessage(err)}`));
  // after the containers that depend on them, as Compose removes provider services
  if (stack && providers.size) errors.push(...(await downProviders(ctx, stack, providers)));
  await Promise.all(observed.networks.map((n) => step('Network', n.name, () => engine.removeNetwork(n.id))));
  await resyncRouters(ctx, routersOf(containers)).catch((err) =>
    errors.push(`client router: ${engineMessage(err)}`),
  );
  if (opts.volumes)
    await Promise.all(observed.volumes.map((v) => step('Volume', v.name, () => engine.removeVolume(v.name))));
  // last, once no container of the project holds them (Compose's order leaves that to chance)
  let imagesFound = 0;
  if (opts.rmi) {
    const orphanServices = opts.removeOrphans ? [...new Set(orphansOf(observed.containers, known))] : [];
    const r = await removeImages(ctx, imageCandidates(opts.rmi, stack, observed.containers, orphanServices));
    errors.push(...r.errors);
    imagesFound = r.found;
  }
  const nothing =
    !observed.containers.length &&
    !observed.networks.length &&
    !(opts.volumes && observed.volumes.length) &&
    !imagesFound;
  return { orphans, nothing, errors };
}

/** Services of containers the stack file no longer has (none without a stack file: every service is known). */
function orphansOf(containers: ObservedContainer[], known: Set<string> | undefined): string[] {
  return known ? containers.map((c) => c.service).filter((s) => !known.has(s)) : [];
}
