// Who holds a host port a run wants to publish: one rule for `up` and `use`. Pure: the running containers come
// in, the clashes and the ports left to probe (by binding them) come out.
import type { ObservedContainer } from '../model/index.js';
import { type HostPort, takes } from './host-ports.js';

const isUp = (c: ObservedContainer) =>
  c.state === 'running' || c.state === 'restarting' || c.state === 'paused';

export interface PortClash {
  wanted: HostPort;
  /** A berth container holding it (project and service known). */
  project?: string;
  service?: string;
  /** A container without berth's labels, or a process, as far as it can be named. */
  other?: string;
}

export interface PortCheckScope {
  /** The project the run acts on. */
  project: string;
  /** Containers the run stops or replaces before it starts anything: their ports will be free. */
  releasing: ReadonlySet<string>;
  /**
   * Which of the project's own running containers may keep a wanted port: `same-service` for `up` (its own
   * replica), `any` for `use` (the project's own containers are the executor's business).
   */
  own: 'same-service' | 'any';
}

/** Clashes with containers, and the wanted ports no container holds (to probe for other processes). */
export function portClashes(
  wanted: HostPort[],
  running: ObservedContainer[],
  scope: PortCheckScope,
): { clashes: PortClash[]; probe: HostPort[] } {
  const clashes: PortClash[] = [];
  const probe: HostPort[] = [];
  for (const w of wanted) {
    const holders = running.filter((c) => isUp(c) && c.ports.some((p) => takes(p, w)));
    if (holders.length === 0) {
      probe.push(w);
      continue;
    }
    const holder = holders.find((c) => {
      if (scope.releasing.has(c.id)) return false;
      if (c.project !== scope.project) return true;
      return scope.own === 'same-service' && c.service !== w.service;
    });
    if (!holder) continue; // released first, or the project's own
    if (holder.project) clashes.push({ wanted: w, project: holder.project, service: holder.service });
    else clashes.push({ wanted: w, other: `container ${holder.name}` });
  }
  return { clashes, probe };
}

export function clashMessage(c: PortClash): string {
  const where = `port ${c.wanted.hostIp}:${c.wanted.port} (service "${c.wanted.service}")`;
  if (c.project)
    return (
      `${where} is taken by berth project "${c.project}" (service ${c.service}); ` +
      `stop it with \`berth -p ${c.project} stop\` or \`berth use <client>\`, or change the port`
    );
  if (c.other) return `${where} is taken by ${c.other}; stop it or change the port`;
  return `${where} is taken by another process; free it or change the port`;
}
