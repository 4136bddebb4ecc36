// `berth ls`: every berth project on the engine, grouped from the labels on its containers (and, for projects
// whose containers are gone, on its networks and volumes). Pure: the engine facts come in, rows go out.
import { homedir } from 'node:os';
import { routeUrl } from './router.js';

export interface PublishedPort {
  hostIp: string;
  hostPort: number;
  target: number;
  protocol: string;
}

/** What berth needs to know about one of its containers, read from the engine's labels and state. */
export interface ContainerFacts {
  id: string;
  name: string;
  project: string;
  service?: string;
  stack?: string;
  client?: string;
  /** Absolute path of the stack's first file (label dev.berth.file). */
  file?: string;
  /** Engine state: created, running, paused, restarting, exited, dead, removing. */
  state: string;
  /** Host ports the container publishes (when stopped: the ones it will publish when started). */
  ports: PublishedPort[];
  /** One-off containers of `berth run` are not part of the project's service count. */
  oneoff: boolean;
  /** A routed client's web container: the host it answers at and the router project serving it. */
  route?: { host: string; router: string };
}

/** A network or volume labelled with a project: keeps a project visible in `ls --all` after `down`. */
export interface LeftoverFacts {
  project: string;
  stack?: string;
  client?: string;
  file?: string;
  kind: 'network' | 'volume';
}

export type ProjectState = 'running' | 'partial' | 'stopped' | 'down';

export interface ProjectOverview {
  name: string;
  stack: string;
  client?: string;
  /** running: every service container runs; partial: some do; stopped: none do; down: only networks/volumes. */
  state: ProjectState;
  running: number;
  total: number;
  ports: string[];
  file?: string;
  /** This client is the one `berth use` made active for its stack. */
  active: boolean;
  services: string[];
  /** A routed client (`berth use A B`) that runs: where the client router serves it. */
  url?: string;
}

export const formatPort = (p: PublishedPort) =>
  `${p.hostIp || '0.0.0.0'}:${p.hostPort}->${p.target}/${p.protocol}`;

/** A project label without a stack label (made by an older berth or by hand): strip the client suffix. */
function stackOf(project: string, stack: string | undefined, client: string | undefined): string {
  if (stack) return stack;
  if (client && project.endsWith(`-${client}`)) return project.slice(0, -client.length - 1);
  return project;
}

/**
 * `routerPorts`: host port of each running client router, by its project: a routed client shows its URL only
 * while its router runs.
 */
export function summarizeProjects(
  containers: ContainerFacts[],
  leftovers: LeftoverFacts[] = [],
  activeClients: ReadonlyMap<string, string | undefined> = new Map(),
  routerPorts: ReadonlyMap<string, number> = new Map(),
): ProjectOverview[] {
  const byProject = new Map<string, ProjectOverview>();
  const entry = (f: { project: string; stack?: string; client?: string; file?: string }) => {
    let p = byProject.get(f.project);
    if (!p) {
      p = {
        name: f.project,
        stack: stackOf(f.project, f.stack, f.client),
        client: f.client || undefined,
        state: 'down',
        running: 0,
        total: 0,
        ports: [],
        file: f.file || undefined,
        active: false,
        services: [],
      };
      byProject.set(f.project, p);
    }
    p.file ??= f.file || undefined;
    p.client ??= f.client || undefined;
    return p;
  };
  for (const c of containers) {
    const p = entry(c);
    if (c.oneoff) continue;
    p.total++;
    if (c.state === 'running') p.running++;
    const routerPort = c.route && routerPorts.get(c.route.router);
    if (c.route && c.state === 'running' && routerPort) p.url ??= routeUrl(c.route.host, routerPort);
    if (c.service && !p.services.includes(c.service)) p.services.push(c.service);
    for (const port of c.ports) {
      const s = formatPort(port);
      if (!p.ports.includes(s)) p.ports.push(s);
    }
  }
  // Networks and volumes may carry only the project label (made before berth labelled them with the
  // stack): a project named `<known stack>-<client>` is taken to be that stack's client.
  const stacks = new Set([...byProject.values()].map((p) => p.stack));
  for (const l of leftovers) {
    if (!l.stack && !l.client && !byProject.has(l.project)) {
      const stack = [...stacks].find((s) => l.project.startsWith(`${s}-`));
      if (stack) {
        entry({ ...l, stack, client: l.project.slice(stack.length + 1) });
        continue;
      }
    }
    entry(l);
  }
  for (const p of byProject.values()) {
    p.state =
      p.total === 0 ? 'down' : p.running === 0 ? 'stopped' : p.running === p.total ? 'running' : 'partial';
    p.services.sort();
    p.ports.sort(comparePorts);
    if (p.file && p.client) p.active = activeClients.get(p.file) === p.client;
  }
  return [...byProject.values()].sort(
    (a, b) => a.stack.localeCompare(b.stack) || (a.client ?? '').localeCompare(b.client ?? ''),
  );
}

const portNumber = (s: string) => Number(/:(\d+)->/.exec(s)?.[1] ?? 0);
const comparePorts = (a: string, b: string) => portNumber(a) - portNumber(b) || a.localeCompare(b);

/**
 * Which projects `ls` shows: by default every project that has containers (a client you switched away from
 * is stopped, not gone, and still listed); `all` adds projects whose containers were removed but whose
 * networks or volumes (its data) remain.
 */
export const visibleProjects = (rows: ProjectOverview[], all: boolean) =>
  all ? rows : rows.filter((r) => r.state !== 'down');

export function stateText(p: ProjectOverview): string {
  return p.state === 'down' ? 'down' : `${p.state} ${p.running}/${p.total}`;
}

const shortenHome = (path: string, home = homedir()) =>
  home && home !== '/' && path.startsWith(`${home}/`) ? `~${path.slice(home.length)}` : path;

/** The readable table of `berth ls` on a terminal. `*` marks the active client of its stack. */
export function formatProjectTable(rows: ProjectOverview[], home = homedir()): string {
  // The URL column appears when a client runs behind the router (`berth use A B`).
  const urls = rows.some((r) => r.url);
  const header = ['PROJECT', 'STACK', 'CLIENT', 'STATE', 'PORTS', ...(urls ? ['URL'] : []), 'FILE'];
  const body = rows.map((r) => [
    r.name,
    r.stack,
    r.client ? `${r.client}${r.active ? ' *' : ''}` : '-',
    stateText(r),
    r.ports.join(', ') || '-',
    ...(urls ? [r.url ?? '-'] : []),
    r.file ? shortenHome(r.file, home) : '-',
  ]);
  const table = [header, ...body];
  const widths = header.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
  return table
    .map((row) =>
      row
        .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!)))
        .join('   ')
        .trimEnd(),
    )
    .join('\n');
}

/** JSON rows for `berth ls --format json`: stable keys for scripts. */
export const projectJson = (rows: ProjectOverview[]) =>
  rows.map((r) => ({
    name: r.name,
    stack: r.stack,
    client: r.client ?? null,
    state: r.state,
    running: r.running,
    total: r.total,
    status: stateText(r),
    ports: r.ports,
    services: r.services,
    file: r.file ?? null,
    active: r.active,
    url: r.url ?? null,
  }));
