// One look at the whole engine, split the way `up` reads it: the project's own objects (by their project
// label) and the name and labels of everything, for the ownership check. Pure: `up` (through the engine port)
// and the memo check of bin/berth.js (from the engine's raw answers) split the same lists the same way.
import {
  Label,
  type ObservedContainer,
  type ObservedNetwork,
  type ObservedState,
  type ObservedVolume,
} from '../model/index.js';
import type { ExistingObject } from '../plan/ownership.js';

export interface EngineLook {
  observed: ObservedState;
  everything: ExistingObject[];
}

export function splitLook(
  project: string,
  cs: readonly ObservedContainer[],
  ns: readonly ObservedNetwork[],
  vs: readonly ObservedVolume[],
): EngineLook {
  const mine = (o: { labels: Record<string, string> }) => o.labels[Label.project] === project;
  return {
    observed: {
      project,
      containers: cs.filter(mine),
      networks: ns.filter(mine),
      volumes: vs.filter(mine),
    },
    everything: [
      ...cs.map((c) => ({ kind: 'container' as const, name: c.name, labels: c.labels })),
      ...ns.map((n) => ({ kind: 'network' as const, name: n.name, labels: n.labels })),
      ...vs.map((v) => ({ kind: 'volume' as const, name: v.name, labels: v.labels })),
    ],
  };
}
