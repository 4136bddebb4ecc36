// `berth use NAME`, the pure part: which running containers belong to the stack's other clients (they are
// stopped, never removed, so switching back is a start), and whether the ports the new client publishes are
// held by anyone who will still hold them after that stop. Checked before anything is stopped, so a switch
// that cannot succeed changes nothing.

import { Label, type ObservedContainer } from '../model/index.js';
import { type HostPort, takes } from '../plan/host-ports.js';
import type { Stack } from '../model/stack.js';

const isUp = (c: ObservedContainer) =>
  c.state === 'running' || c.state === 'restarting' || c.state === 'paused';

/** Stack of a container: its label, or (for containers without one) unknown, so never mistaken for ours. */
const stackOf = (c: ObservedContainer) => c.labels[Label.stack];

/**
 * Running containers of the same stack under another project: the other clients, and the stack without a
 * client. Containers of other stacks are left alone even when their names look alike.
 */
export function otherClientsRunning(
  containers: ObservedContainer[],
  stack: Pick<Stack, 'name' | 'project'>,
): ObservedContainer[] {
  return containers.filter((c) => isUp(c) && c.project !== stack.project && stackOf(c) === stack.name);
}

/** Projects in the order they were found, each with its containers. */
export function byProject(containers: ObservedContainer[]): Map<string, ObservedContainer[]> {
  const out = new Map<string, ObservedContainer[]>();
  for (const c of containers) out.set(c.project, [...(out.get(c.project) ?? []), c]);
  return out;
}

/**
 * Split the containers to stop into those that must be stopped before the new client starts (they hold a
 * host port it publishes, plus everything that depends on them, so the stop order stays graceful) and the
 * rest, which can stop while the new client comes up: on the demo only `lb` blocks the switch.
 */
export function splitStops(
  stopping: ObservedContainer[],
  wanted: HostPort[],
  stack: Pick<Stack, 'services'>,
): { first: ObservedContainer[]; later: ObservedContainer[] } {
  const clash = (c: ObservedContainer) => c.ports.some((p) => wanted.some((w) => takes(p, w)));
  const firstIds = new Set<string>();
  for (const [, cs] of byProject(stopping)) {
    const services = new Set(cs.filter(clash).map((c) => c.service));
    // Services that depend on a port holder stop before it: close the set over reverse dependencies.
    let grew = true;
    while (grew) {
      grew = false;
      for (const c of cs) {
        if (services.has(c.service)) continue;
        const deps = Object.keys(stack.services[c.service]?.depends_on ?? {});
        if (deps.some((d) => services.has(d))) {
          services.add(c.service);
          grew = true;
        }
      }
    }
    for (const c of cs) if (services.has(c.service)) firstIds.add(c.id);
  }
  return {
    first: stopping.filter((c) => firstIds.has(c.id)),
    later: stopping.filter((c) => !firstIds.has(c.id)),
  };
}
