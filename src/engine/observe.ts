// Observed state of one project through the port: one container list, one network list and one volume list,
// in parallel, by label. No per-container inspect, so a no-op `up` costs three engine calls.
import { type ObservedContainer, type ObservedState, Label, projectSelector } from '../model/index.js';
import type { Engine } from './port.js';

/** Containers of one project (all states), by label. */
export function listProjectContainers(engine: Engine, project: string): Promise<ObservedContainer[]> {
  return engine.listContainers({ all: true, labels: [projectSelector(project)] });
}

/** Running containers of every berth project: to name the project holding a port. */
export function listAllBerthContainers(engine: Engine): Promise<ObservedContainer[]> {
  // A container whose project label is empty (made from a snapshot image, which clears it) is nobody's.
  return engine.listContainers({ labels: [Label.project] }).then((cs) => cs.filter((c) => c.project));
}

export async function observe(engine: Engine, project: string): Promise<ObservedState> {
  const labels = [projectSelector(project)];
  const [containers, networks, volumes] = await Promise.all([
    listProjectContainers(engine, project),
    engine.listNetworks({ labels }),
    engine.listVolumes({ labels }),
  ]);
  return { project, containers, networks, volumes };
}
