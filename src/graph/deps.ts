// Each service's dependencies as the executor needs them: the graph's edges (depends_on, links, volumes_from,
// network_mode/ipc/pid) with the condition to wait for, and whether the dependent shares the dependency's
// namespace or volumes (then it can only be created once the dependency's container exists).
import type { Graph } from './index.js';
import type { DependencyCondition, Service, Stack } from '../model/stack.js';

export interface DepEdge {
  dep: string;
  condition: DependencyCondition;
  required: boolean;
  sharesNamespace: boolean;
}

export function sharesWith(service: Service, dep: string): boolean {
  const ref = `service:${dep}`;
  return (
    service.network_mode === ref ||
    service.ipc === ref ||
    service.pid === ref ||
    service.volumes_from.some((v) => {
      const name = v.replace(/^service:/, '').split(':')[0];
      return !v.startsWith('container:') && name === dep;
    })
  );
}

export function dependencyEdges(stack: Stack, graph: Graph): Map<string, DepEdge[]> {
  const out = new Map<string, DepEdge[]>();
  for (const name of graph.services) out.set(name, []);
  for (const e of graph.edges) {
    const svc = stack.services[e.from];
    if (!svc) continue;
    const d = svc.depends_on[e.to];
    out.get(e.from)?.push({
      dep: e.to,
      condition: d?.condition ?? 'service_started',
      required: d?.required ?? true,
      sharesNamespace: sharesWith(svc, e.to),
    });
  }
  return out;
}
