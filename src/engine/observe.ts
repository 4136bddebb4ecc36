// Observed state of one project, read from labels (never from names alone): one container list, one network
// list and one volume list, in parallel. No per-container inspect, so a no-op `up` costs three engine calls.
import type Docker from 'dockerode';
import { Label, projectFilter } from './labels.js';
import type { EngineReader } from './light.js';

export type ContainerState = 'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead';
export type Health = 'healthy' | 'unhealthy' | 'starting';

export interface PublishedPort {
  hostIp: string;
  hostPort: number;
  target: number;
  protocol: string;
}

export interface ObservedContainer {
  id: string;
  /** Name without the leading slash. */
  name: string;
  project: string;
  service: string;
  replica: number;
  hash: string;
  state: ContainerState;
  /** The engine's human status ("Up 3 minutes (healthy)"). */
  status: string;
  health?: Health;
  image: string;
  imageId: string;
  command: string;
  created: number;
  /** Engine names of the networks it is attached to. */
  networks: string[];
  ports: PublishedPort[];
  labels: Record<string, string>;
  /** Made by `berth run`: never counted as a replica. */
  oneoff: boolean;
}

export interface ObservedNetwork {
  id: string;
  name: string;
  key?: string;
}

export interface ObservedVolume {
  name: string;
  key?: string;
}

export interface ObservedState {
  project: string;
  containers: ObservedContainer[];
  networks: ObservedNetwork[];
  volumes: ObservedVolume[];
}

export function healthFromStatus(status: string): Health | undefined {
  if (status.includes('(healthy)')) return 'healthy';
  if (status.includes('(unhealthy)')) return 'unhealthy';
  if (status.includes('(health: starting)')) return 'starting';
  return undefined;
}

export function toObservedContainer(c: Docker.ContainerInfo): ObservedContainer {
  const labels = c.Labels ?? {};
  return {
    id: c.Id,
    name: (c.Names?.[0] ?? c.Id).replace(/^\//, ''),
    project: labels[Label.project] ?? '',
    service: labels[Label.service] ?? '',
    replica: Number(labels[Label.replica] ?? 0) || 0,
    hash: labels[Label.configHash] ?? '',
    state: c.State as ContainerState,
    status: c.Status,
    health: healthFromStatus(c.Status ?? ''),
    image: c.Image,
    imageId: c.ImageID,
    command: c.Command,
    created: c.Created,
    networks: Object.keys(c.NetworkSettings?.Networks ?? {}),
    ports: (c.Ports ?? [])
      .filter((p) => p.PublicPort)
      .map((p) => ({ hostIp: p.IP, hostPort: p.PublicPort, target: p.PrivatePort, protocol: p.Type })),
    labels,
    oneoff: labels[Label.oneoff] === 'True' || labels[Label.oneoff] === 'true',
  };
}

/** Containers of one project (all states), by label. */
export async function listProjectContainers(
  docker: EngineReader,
  project: string,
): Promise<ObservedContainer[]> {
  const list = await docker.listContainers({ all: true, filters: projectFilter(project) });
  return list.map(toObservedContainer);
}

/** Containers of every berth project: to name the project holding a port. */
export async function listAllBerthContainers(docker: EngineReader): Promise<ObservedContainer[]> {
  const list = await docker.listContainers({ filters: JSON.stringify({ label: [Label.project] }) });
  return list.map(toObservedContainer);
}

export async function observe(docker: EngineReader, project: string): Promise<ObservedState> {
  const filters = projectFilter(project);
  const [containers, networks, volumes] = await Promise.all([
    listProjectContainers(docker, project),
    docker.listNetworks({ filters }),
    docker.listVolumes({ filters }),
  ]);
  return {
    project,
    containers,
    networks: networks.map((n) => ({ id: n.Id, name: n.Name, key: n.Labels?.[Label.network] })),
    volumes: (volumes.Volumes ?? []).map((v) => ({
      name: v.Name,
      key: (v.Labels as Record<string, string> | null)?.[Label.volume],
    })),
  };
}
