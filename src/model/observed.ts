// What berth sees on an engine, in its own words. Adapters translate the engine's answers into these; everything
// above the engine port (planner, executor, log feed, UI, `ls`) reads only these.
import type { Labels } from './labels.js';

export type ContainerState = 'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead';
export type Health = 'healthy' | 'unhealthy' | 'starting';

export interface PublishedPort {
  hostIp: string;
  hostPort: number;
  target: number;
  protocol: string;
}

/** One container, as a list call shows it. */
export interface ObservedContainer {
  id: string;
  /** Name without the leading slash. */
  name: string;
  project: string;
  service: string;
  /** 1-based; 1 when unlabelled. */
  replica: number;
  hash: string;
  state: ContainerState;
  /** The engine's human status ("Up 3 minutes (healthy)"). */
  status: string;
  health?: Health;
  image: string;
  imageId: string;
  command: string;
  /** Seconds since the epoch. */
  created: number;
  /** Engine names of the networks it is attached to. */
  networks: string[];
  /** Published host ports: bound ones while running; the ones it will bind on start otherwise (when known). */
  ports: PublishedPort[];
  labels: Labels;
  /** Made by `berth run`: never counted as a replica. */
  oneoff: boolean;
}

/** One container as an inspect shows it: the list's facts plus what only an inspect knows. */
export interface InspectedContainer extends ObservedContainer {
  running: boolean;
  restarting: boolean;
  exitCode: number;
  /** Has a healthcheck (its own or its image's). */
  hasHealthcheck: boolean;
  /** ms since the epoch of the latest start, when it has been started. */
  startedAt?: number;
  /** The engine's restart count (restart policy restarts). */
  restarts: number;
  tty: boolean;
}

export interface ObservedNetwork {
  id: string;
  name: string;
  labels: Labels;
  /** Containers attached, by ID. */
  containers?: string[];
}

export interface ObservedVolume {
  name: string;
  labels: Labels;
  /** Where the engine keeps it on its host (for size and data snapshots). */
  mountpoint?: string;
}

export interface ObservedImage {
  id: string;
  /** Tags, without `<none>:<none>`. */
  tags: string[];
  labels: Labels;
  sizeBytes: number;
  /** Seconds since the epoch. */
  created: number;
  /** When the engine last tagged the image (a pull or build): the clock for pull_policy daily/weekly. */
  lastTagTime?: Date;
}

/** A container event from the engine's event stream. */
export interface ContainerEvent {
  /** create, start, restart, die, stop, kill, destroy, rename, pause, unpause, oom,
   *  `health_status: healthy` / `unhealthy` / `starting`. */
  action: string;
  id: string;
  /** Container name (without a leading slash). */
  name: string;
  service?: string;
  replica?: number;
  /** Nanoseconds since the epoch. */
  timeNano: bigint;
  attributes: Labels;
}

export type ChangeKind = 'changed' | 'added' | 'deleted';
/** A filesystem change of a container against its image. */
export interface FsChange {
  path: string;
  kind: ChangeKind;
}

export function healthFromStatus(status: string): Health | undefined {
  if (status.includes('(healthy)')) return 'healthy';
  if (status.includes('(unhealthy)')) return 'unhealthy';
  if (status.includes('(health: starting)')) return 'starting';
  return undefined;
}

/** Everything of one project on the engine, read from labels (never from names alone). */
export interface ObservedState {
  project: string;
  containers: ObservedContainer[];
  networks: ObservedNetwork[];
  volumes: ObservedVolume[];
}
