// The swarm port: what berth needs from a Docker Swarm manager, in berth's own types, beside the engine port
// (port.ts). ops/deploy.ts talks to this; swarm-docker.ts is its Docker adapter (REST over the same DockerApi
// transport as docker-engine.ts). Docker's ServiceSpec JSON is known only in the adapter.
import type { Readable } from 'node:stream';
import type { Labels } from '../model/labels.js';

export interface SwarmMount {
  type: 'bind' | 'volume' | 'tmpfs';
  /** Host path (bind) or volume name (volume); undefined for tmpfs and anonymous volumes. */
  source?: string;
  target: string;
  readOnly: boolean;
  /** Volume created on each node where a task lands: its labels, driver and options. */
  volume?: { labels: Labels; driver?: string; options: Record<string, string>; noCopy?: boolean };
  bindPropagation?: string;
  tmpfs?: { sizeBytes?: number; mode?: number };
}

/** A secret or config given to a service: `name` is the swarm object's (versioned) name. */
export interface SwarmFileRef {
  name: string;
  target: string;
  uid: string;
  gid: string;
  mode: number;
}

export interface SwarmUpdatePolicy {
  parallelism: number;
  delayNs?: number;
  failureAction?: 'pause' | 'continue' | 'rollback';
  monitorNs?: number;
  maxFailureRatio?: number;
  order: 'start-first' | 'stop-first';
}

export interface SwarmPort {
  target: number;
  /** undefined: the swarm picks one. */
  published?: number;
  protocol: 'tcp' | 'udp' | 'sctp';
  /** `host`: bound on the node running the task; `ingress`: the routing mesh (needs IPVS). */
  mode: 'host' | 'ingress';
}

export interface SwarmHealthcheck {
  test: string[];
  intervalNs?: number;
  timeoutNs?: number;
  startPeriodNs?: number;
  retries?: number;
}

export interface SwarmServiceSpec {
  /** `<project>_<service>`, as `docker stack deploy` names them. */
  name: string;
  labels: Labels;
  image: string;
  command?: string[];
  args?: string[];
  env: string[];
  user?: string;
  workdir?: string;
  hostname?: string;
  containerLabels: Labels;
  healthcheck?: SwarmHealthcheck;
  init?: boolean;
  stopSignal?: string;
  stopGraceNs?: number;
  tty?: boolean;
  openStdin?: boolean;
  readOnly?: boolean;
  capAdd?: string[];
  capDrop?: string[];
  groups?: string[];
  sysctls?: Record<string, string>;
  ulimits?: Array<{ name: string; soft: number; hard: number }>;
  /** `host:ip` entries, as Compose writes them. */
  extraHosts?: string[];
  dns?: { nameservers: string[]; search: string[]; options: string[] };
  mounts: SwarmMount[];
  secrets: SwarmFileRef[];
  configs: SwarmFileRef[];
  resources: {
    limits: { nanoCpus?: number; memoryBytes?: number; pids?: number };
    reservations: { nanoCpus?: number; memoryBytes?: number };
  };
  restart: {
    condition: 'none' | 'on-failure' | 'any';
    delayNs?: number;
    maxAttempts?: number;
    windowNs?: number;
  };
  placement: { constraints: string[]; preferences: string[]; maxReplicas?: number };
  mode: { replicated: number } | { global: true };
  update: SwarmUpdatePolicy;
  rollback: SwarmUpdatePolicy;
  /** Network names (engine names) with the aliases of the service on each. */
  networks: Array<{ name: string; aliases: string[] }>;
  endpointMode: 'vip' | 'dnsrr';
  ports: SwarmPort[];
  logDriver?: { name: string; options: Record<string, string> };
}

export interface ObservedSwarmService {
  id: string;
  name: string;
  /** The object version the next update must quote. */
  version: number;
  labels: Labels;
  replicas?: number;
  /** The spec declares a health check (a task is then `starting` until healthy). */
  healthcheck: boolean;
  /** Last update's state (`updating`, `completed`, `paused`, `rollback_completed`…) and message. */
  update?: { state: string; message?: string };
}

export type TaskState =
  | 'new'
  | 'pending'
  | 'assigned'
  | 'accepted'
  | 'preparing'
  | 'ready'
  | 'starting'
  | 'running'
  | 'complete'
  | 'shutdown'
  | 'failed'
  | 'rejected'
  | 'remove'
  | 'orphaned';

export interface SwarmTask {
  id: string;
  serviceId: string;
  /** Replica slot (replicated services); undefined for a global service's tasks. */
  slot?: number;
  nodeId: string;
  desiredState: string;
  state: TaskState;
  message: string;
  error?: string;
  containerId?: string;
  /** Ports the task published in host mode. */
  ports: Array<{ target: number; published: number; protocol: string }>;
  /** When the task last changed state (ISO time). */
  timestamp: string;
}

export interface SwarmNode {
  id: string;
  hostname: string;
  role: 'manager' | 'worker';
  state: string;
  availability: string;
  addr?: string;
}

/** A swarm secret or config (data never read back: the engine does not give it). */
export interface SwarmObject {
  id: string;
  name: string;
  labels: Labels;
}

export interface SwarmInfo {
  nodeId: string;
  /** `inactive`, `pending`, `active`, `error`, `locked`. */
  localState: string;
  manager: boolean;
  nodes?: number;
}

export interface SwarmLogOptions {
  follow: boolean;
  tail?: number | 'all';
  timestamps: boolean;
  since?: string;
  signal?: AbortSignal;
}

export interface SwarmEngine {
  readonly endpoint: string;
  info(): Promise<SwarmInfo>;
  listNodes(): Promise<SwarmNode[]>;

  listServices(labels: string[]): Promise<ObservedSwarmService[]>;
  createService(spec: SwarmServiceSpec): Promise<string>;
  /** `force`: redeploy every task even when the spec is unchanged (Compose `restart: true`). */
  updateService(
    id: string,
    version: number,
    spec: SwarmServiceSpec,
    opts?: { force?: boolean },
  ): Promise<void>;
  removeService(id: string): Promise<void>;
  /** Tasks of the given services (every state the swarm still remembers). */
  listTasks(serviceIds: string[]): Promise<SwarmTask[]>;
  /** Multiplexed (stdout/stderr frames) log stream of a service's tasks. */
  serviceLogs(id: string, opts: SwarmLogOptions): Promise<Readable>;

  listNetworks(labels: string[]): Promise<SwarmObject[]>;
  /** An attachable overlay network; succeeds when this project already owns one by that name. */
  createNetwork(o: { name: string; labels: Labels; attachable: boolean; internal: boolean }): Promise<void>;
  removeNetwork(id: string): Promise<void>;

  listSecrets(labels: string[]): Promise<SwarmObject[]>;
  createSecret(o: { name: string; labels: Labels; data: Buffer }): Promise<void>;
  removeSecret(id: string): Promise<void>;
  listConfigs(labels: string[]): Promise<SwarmObject[]>;
  createConfig(o: { name: string; labels: Labels; data: Buffer }): Promise<void>;
  removeConfig(id: string): Promise<void>;

  /** Volumes of this node (volumes live on the nodes where tasks used them). */
  listVolumes(labels: string[]): Promise<SwarmObject[]>;
  removeVolume(name: string): Promise<void>;

  /** Push a local image to its registry; resolves when the registry has it. */
  pushImage(ref: string): Promise<void>;
}
