// What the UI shows, as plain data: containers as the engine reported them (a snapshot, then events), rolled
// up into one row per service. Pure, so the table can be tested from recorded engine events.
import type { ContainerEvent, InspectedContainer } from '../model/index.js';

/** What the UI keeps of one container: an inspect's facts, kept current by events. */
export type ContainerFacts = Pick<
  InspectedContainer,
  'id' | 'name' | 'service' | 'replica' | 'startedAt' | 'restarts' | 'image' | 'ports'
> & {
  /** The engine's state, or `stopping` between a stop event and the container's death. */
  state: string;
  health?: string;
};

export interface ServiceRow {
  name: string;
  /** running, partial, restarting, exited, created, paused, stopping, missing */
  state: string;
  health?: string;
  running: number;
  wanted: number;
  ports: string[];
  /** ms since the epoch of the oldest running replica's start. */
  since?: number;
  /** The engine's restart counts (restart policy) of the service's containers, summed. */
  restarts: number;
  image: string;
}

export interface StackService {
  name: string;
  replicas: number;
  image: string;
}

/** Apply one engine event to the containers by id; returns the same map (mutated) for chaining. */
export function applyEvent(
  containers: Map<string, ContainerFacts>,
  e: ContainerEvent,
): Map<string, ContainerFacts> {
  const c = containers.get(e.id);
  const at = Number(e.timeNano / 1_000_000n);
  switch (true) {
    case e.action === 'create': {
      if (!e.service) return containers;
      containers.set(e.id, {
        id: e.id,
        name: e.name,
        service: e.service,
        replica: e.replica ?? 1,
        state: 'created',
        restarts: 0,
        image: e.attributes.image ?? '',
        ports: [],
      });
      return containers;
    }
    case !c:
      // An event for a container we never saw created (it predates the snapshot and was missed): the caller
      // inspects it and upserts; nothing to do here.
      return containers;
    case e.action === 'start':
      // Not a restart count: a start is also `berth up`, `s`, `r` or `docker restart`, which the engine does
      // not count either. The count comes from the inspect that follows every start (RestartCount).
      c!.state = 'running';
      c!.startedAt = at;
      if (c!.health) c!.health = 'starting';
      return containers;
    case e.action === 'die':
      c!.state = 'exited';
      return containers;
    case e.action === 'kill' || e.action === 'stop':
      if (c!.state === 'running') c!.state = 'stopping';
      return containers;
    case e.action === 'pause':
      c!.state = 'paused';
      return containers;
    case e.action === 'unpause':
      c!.state = 'running';
      return containers;
    case e.action.startsWith('health_status'):
      c!.health = e.action.split(':')[1]?.trim() || c!.health;
      return containers;
    case e.action === 'rename':
      c!.name = e.name || c!.name;
      return containers;
    case e.action === 'destroy':
      containers.delete(e.id);
      return containers;
    default:
      return containers;
  }
}

const HEALTH_RANK: Record<string, number> = { unhealthy: 3, starting: 2, healthy: 1 };

/** One row per service: services of the stack file first (file order), then any others the engine has. */
export function serviceRows(containers: Iterable<ContainerFacts>, stack: StackService[] = []): ServiceRow[] {
  const by = new Map<string, ContainerFacts[]>();
  for (const s of stack) by.set(s.name, []);
  for (const c of containers) {
    const list = by.get(c.service) ?? [];
    list.push(c);
    by.set(c.service, list);
  }
  const wantedOf = new Map(stack.map((s) => [s.name, s]));
  const rows: ServiceRow[] = [];
  for (const [name, list] of by) {
    const spec = wantedOf.get(name);
    const running = list.filter((c) => c.state === 'running');
    const wanted = spec?.replicas ?? list.length;
    // Health is the health of what runs: a stopped container keeps the last status the engine saw, which
    // says nothing about the service now.
    let health: string | undefined;
    for (const c of running) {
      if (c.health && (HEALTH_RANK[c.health] ?? 0) > (HEALTH_RANK[health ?? ''] ?? 0)) health = c.health;
    }
    const ports = list
      .flatMap((c) => c.ports)
      .map((p) => `${p.hostPort}→${p.target}${p.protocol === 'tcp' ? '' : `/${p.protocol}`}`);
    const starts = running.map((c) => c.startedAt).filter((t): t is number => t !== undefined);
    rows.push({
      name,
      state: rollupState(list, running.length, wanted),
      health,
      running: running.length,
      wanted,
      ports: [...new Set(ports)],
      since: starts.length ? Math.min(...starts) : undefined,
      restarts: list.reduce((n, c) => n + c.restarts, 0),
      image: list[0]?.image || spec?.image || '',
    });
  }
  return rows;
}

function rollupState(list: ContainerFacts[], running: number, wanted: number): string {
  if (list.length === 0) return 'missing';
  if (list.some((c) => c.state === 'restarting')) return 'restarting';
  if (list.some((c) => c.state === 'stopping')) return 'stopping';
  if (running > 0 && running < Math.max(wanted, list.length)) return 'partial';
  if (running > 0) return 'running';
  if (list.some((c) => c.state === 'paused')) return 'paused';
  if (list.every((c) => c.state === 'created')) return 'created';
  return 'exited';
}

/** Compact uptime: 42s, 5m, 3h, 2d. */
export function formatUptime(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86_400)}d`;
}
