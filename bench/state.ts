// What the engine holds for one bench project, read by the harness after each timed step (never inside the
// timing), and the clean-up that removes it whatever happened.
import type Docker from 'dockerode';

export interface ProjectLabels {
  project: string;
  service: string;
}

/** service → container ID, and which of them run. */
export interface Snapshot {
  ids: Map<string, string>;
  running: Set<string>;
  extra: number;
}

export async function snapshot(docker: Docker, labels: ProjectLabels, project: string): Promise<Snapshot> {
  const list = await docker.listContainers({
    all: true,
    filters: JSON.stringify({ label: [`${labels.project}=${project}`] }),
  });
  const ids = new Map<string, string>();
  const running = new Set<string>();
  let extra = 0;
  for (const c of list) {
    const svc = c.Labels[labels.service] ?? '?';
    if (ids.has(svc)) extra++;
    ids.set(svc, c.Id);
    if (c.State === 'running') running.add(svc);
  }
  return { ids, running, extra };
}

/** Empty when every service has exactly one running container; else what is wrong. */
export function allRunning(snap: Snapshot, services: string[]): string {
  const notRunning = services.filter((s) => !snap.running.has(s));
  const unknown = [...snap.ids.keys()].filter((s) => !services.includes(s));
  const problems: string[] = [];
  if (notRunning.length)
    problems.push(`${notRunning.length} not running (${notRunning.slice(0, 3).join(', ')})`);
  if (unknown.length) problems.push(`unexpected services ${unknown.slice(0, 3).join(', ')}`);
  if (snap.extra) problems.push(`${snap.extra} duplicate containers`);
  return problems.join('; ');
}

/** Services whose container ID differs between two snapshots. */
export function changed(before: Snapshot, after: Snapshot): string[] {
  const names = new Set([...before.ids.keys(), ...after.ids.keys()]);
  return [...names].filter((s) => before.ids.get(s) !== after.ids.get(s)).sort();
}

const owned = (name: string | undefined, labels: Record<string, string> | undefined, prefix: string) =>
  (name ?? '').replace(/^\//, '').startsWith(prefix) ||
  Object.values(labels ?? {}).some((v) => v.startsWith(prefix));

/**
 * Containers, networks and volumes whose name starts with `prefix` or that carry a label value starting with
 * it. Names catch dockerode-compose's default network (unlabelled); labels catch everything else. Bench
 * projects are all `bb-<session>-...`, so this never matches anything the bench did not create.
 */
export async function leftovers(docker: Docker, prefix: string) {
  const [containers, networks, { Volumes }] = await Promise.all([
    docker.listContainers({ all: true }),
    docker.listNetworks(),
    docker.listVolumes(),
  ]);
  return {
    containers: containers.filter((c) => c.Names.some((n) => owned(n, c.Labels, prefix))).map((c) => c.Id),
    networks: networks.filter((n) => owned(n.Name, n.Labels, prefix)).map((n) => n.Id),
    volumes: (Volumes ?? []).filter((v) => owned(v.Name, v.Labels ?? undefined, prefix)).map((v) => v.Name),
  };
}

export const describeLeft = (l: Awaited<ReturnType<typeof leftovers>>) =>
  [
    l.containers.length && `${l.containers.length} containers`,
    l.networks.length && `${l.networks.length} networks`,
    l.volumes.length && `${l.volumes.length} volumes`,
  ]
    .filter(Boolean)
    .join(', ');

/** Remove everything `leftovers` finds for the prefix (containers first: they hold networks and volumes). */
export async function removeAll(docker: Docker, prefix: string): Promise<void> {
  const left = await leftovers(docker, prefix);
  await Promise.all(
    left.containers.map((id) =>
      docker
        .getContainer(id)
        .remove({ force: true, v: true })
        .catch(() => {}),
    ),
  );
  await Promise.all([
    ...left.networks.map((id) =>
      docker
        .getNetwork(id)
        .remove()
        .catch(() => {}),
    ),
    ...left.volumes.map((name) =>
      docker
        .getVolume(name)
        .remove({ force: true })
        .catch(() => {}),
    ),
  ]);
}
