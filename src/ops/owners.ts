// The engine side of "ownership before action": list what exists under the names berth would use and under the
// project label, and refuse (unless forced) before anything changes. The rules live in plan/ownership.ts.
import type { Engine } from '../engine/port.js';
import type { ObservedState } from '../model/index.js';
import { type EngineLook, splitLook } from './look.js';
import type { Stack } from '../model/stack.js';
import {
  byName,
  type ExistingObject,
  findForeign,
  type ForeignObject,
  namesToClaim,
  ownershipError,
} from '../plan/ownership.js';

/**
 * One look at the whole engine: every container, network and volume (three list calls, in parallel), as the
 * ownership check needs them, and the project's own objects picked out of that same listing by their project
 * label (what `observe` would list again with a label filter: three calls fewer on every `up`).
 */
export async function lookAtEngine(engine: Engine, project: string): Promise<EngineLook> {
  const [cs, ns, vs] = await Promise.all([
    engine.listContainers({ all: true }),
    engine.listNetworks({}),
    engine.listVolumes({}),
  ]);
  return splitLook(project, cs, ns, vs);
}

export const labelledObjects = (observed: ObservedState): ExistingObject[] => [
  ...observed.containers.map((c) => ({ kind: 'container' as const, name: c.name, labels: c.labels })),
  ...observed.networks.map((n) => ({ kind: 'network' as const, name: n.name, labels: n.labels })),
  ...observed.volumes.map((v) => ({ kind: 'volume' as const, name: v.name, labels: v.labels })),
];

/**
 * Foreign objects `up` would meet: under the names it would create, and labelled with its project. Throws
 * the owner message unless `force`; with `force`, returns them so the caller reuses them instead of
 * creating (a create of a name in use would fail).
 */
export function checkOwnership(
  stack: Stack,
  everything: ExistingObject[],
  observed: ObservedState,
  opts: { selected?: string[]; scale?: Record<string, number>; force?: boolean; verb: string },
): ForeignObject[] {
  const claimed = byName(everything, namesToClaim(stack, opts.selected, opts.scale));
  const foreign = findForeign(stack, [...claimed, ...labelledObjects(observed)]);
  if (foreign.length && !opts.force) throw ownershipError(stack, foreign, opts.verb);
  return foreign;
}

/** `down`, `use`: only what carries the project label matters (nothing is created). */
export function checkLabelled(
  stack: Stack,
  objects: ExistingObject[],
  opts: { force?: boolean; verb: string },
): ForeignObject[] {
  const foreign = findForeign(stack, objects);
  if (foreign.length && !opts.force) throw ownershipError(stack, foreign, opts.verb);
  return foreign;
}
