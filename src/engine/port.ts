// The engine port: exactly the operations berth needs from a container engine, in berth's own types. The
// executor, operations, log feed and UI talk to this and nothing else; adapters (docker-engine.ts over a local
// socket or dockerode, the in-memory fake in test/support) implement it. Docker's API is known only below it.
//
// Conventions every adapter keeps (the executor relies on them to converge after an interruption):
// - starting a running container, stopping a stopped one and removing a gone one succeed;
// - creating a network or volume that this project already owns succeeds; a name owned by anything else fails
//   with EngineError 'conflict';
// - every failure is an EngineError (engine/errors.ts), never a raw HTTP or socket error.
import type { Readable, Writable } from 'node:stream';
import type { Product } from './podman.js';
import type { PortSpec, Service, Stack } from '../model/stack.js';
import type {
  ContainerEvent,
  FsChange,
  InspectedContainer,
  LabelSelector,
  Labels,
  ObservedContainer,
  ObservedImage,
  ObservedNetwork,
  ObservedVolume,
} from '../model/index.js';

export interface EngineInfo {
  /** Engine product and version, e.g. `docker 20.10.24`. */
  version: string;
  /** API version the engine speaks, e.g. `1.41`. */
  apiVersion: string;
  /** Swarm membership of the engine's node. */
  swarm?: { nodeId: string; localState: string; manager: boolean };
}

export interface ListFilter {
  /** Every selector must match (`key` or `key=value`). */
  labels?: LabelSelector[];
}

/** A replica of a service: everything else comes from the stack. */
export interface ReplicaSpec {
  kind: 'replica';
  stack: Stack;
  service: string;
  replica: number;
  hash: string;
  /** Name to create it under (a recreate uses a temporary name, then renames). */
  name: string;
  /**
   * The container this one replaces (a recreate): its anonymous volumes — the service's `volumes:` entries
   * without a source and the image's VOLUMEs — carry over to the new container, as Compose's recreate does
   * (unless `up --renew-anon-volumes`), so their data survives a configuration change.
   */
  inherit?: string;
}

/** A one-off container of a service (`berth run`): the service's definition with the run's overrides. */
export interface OneOffSpec {
  kind: 'oneoff';
  stack: Stack;
  service: string;
  name: string;
  command?: string[];
  entrypoint?: string[];
  /** `K=V` entries, over the service's environment. */
  env?: string[];
  user?: string;
  workdir?: string;
  /** Ports to publish (the service's own are not, unless the caller passes them: `--service-ports`). */
  ports: PortSpec[];
  tty: boolean;
  /** Keep stdin open for an attached session. */
  stdin: boolean;
  /** Let the engine remove it when it exits (`run -d --rm`). */
  autoRemove?: boolean;
  /** Over the service's `privileged` (a `pre_start` hook's). */
  privileged?: boolean;
  /**
   * A `pre_start` hook: the service's new container whose mounts (named, bind, anonymous and image volumes) the
   * one-off shares through `VolumesFrom`, instead of mounting the service's `volumes` itself, as Compose does.
   */
  volumesFrom?: string;
  /** Keep the service's network aliases (a `pre_start` hook, as Compose); `run` drops them. */
  aliases?: boolean;
}

export type ContainerSpec = ReplicaSpec | OneOffSpec;

/** A network or volume of the stack, by its key in the stack file. */
export interface ResourceSpec {
  stack: Stack;
  key: string;
}

export interface LogOptions {
  follow: boolean;
  /** Unix seconds (fraction allowed). */
  since?: string;
  until?: string;
  tail?: number | 'all';
  timestamps: boolean;
  signal?: AbortSignal;
}

export interface SessionIO {
  /** Fed to the process's stdin; when it ends, the process sees end of input. Omit for no stdin. */
  stdin?: NodeJS.ReadableStream;
  stdout: Writable;
  stderr: Writable;
  /** A terminal: output arrives raw (one stream), stdin is passed byte for byte. */
  tty: boolean;
  /** Terminal size at start, so the first screen already fits. */
  size?: { rows: number; cols: number };
}

export interface Session {
  /** Resolves to the exit code once the process ended and its output was written. */
  done: Promise<number>;
  /** Tell the process its terminal changed size. */
  resize(rows: number, cols: number): Promise<void>;
}

export interface ExecOptions extends SessionIO {
  cmd: string[];
  /** `K=V` entries. */
  env?: string[];
  user?: string;
  workdir?: string;
  privileged?: boolean;
  /** Start and return at once (`exec -d`): no streams, exit code 0 when it started. */
  detach?: boolean;
}

/** One JSON message of an image pull. `id` is a layer ID for layer events. */
export interface PullEvent {
  status?: string;
  id?: string;
  progressDetail?: { current?: number; total?: number };
  error?: string;
}

export interface BuildOptions {
  /** Stack the image belongs to, recorded as dev.berth.stack (not the project: every client shares a build). */
  stack?: string;
  noCache?: boolean;
  /** Ask the engine to pull newer base images. Only when the user asked (`--pull`): never by default. */
  pull?: boolean;
  /** Build output, one line at a time (without the newline). */
  onLine?: (line: string) => void;
  signal?: AbortSignal;
}

/** Which builder `buildImage` uses on this engine (see buildkit-policy.ts). */
export interface BuilderInfo {
  kind: 'buildkit' | 'classic';
  /** Why: `the engine offers BuildKit (API 1.41)`, `DOCKER_BUILDKIT=0`, `Podman's Docker API has no BuildKit sessions`. */
  reason: string;
  /** DOCKER_BUILDKIT=1 on an engine without BuildKit: every build fails with this. */
  refused?: string;
}

export interface PullOptions {
  /** Service the image is for, for messages. */
  service?: string;
  onEvent?: (e: PullEvent) => void;
  signal?: AbortSignal;
}

export interface CommitOptions {
  repo: string;
  tag: string;
  comment?: string;
  labels: Labels;
  /** Pause the container while committing, so the image is one point in time. */
  pause: boolean;
}

/** A short-lived helper container (data snapshots): run from a local image, waited for, then removed. */
export interface TaskSpec {
  image: string;
  cmd: string[];
  /** Named volumes to mount. */
  mounts: Array<{ volume: string; target: string; readOnly?: boolean }>;
  labels: Labels;
  /** Give up (kill it) after this long; default 10 minutes. */
  timeoutMs?: number;
}

export interface TaskResult {
  exitCode: number;
  /** Its output (stdout and stderr), one entry a line. */
  output: string[];
}

export interface EventWatch {
  /** Resolves when the watch is closed or the engine ends the stream. */
  done: Promise<void>;
  close(): void;
}

/** What the engine says about a path in a container (`docker cp`'s stat). */
/** A project lock as the engine has it: who took it (labels) and when its holder last said it is alive. */
export interface LockInfo {
  id: string;
  labels: Labels;
  /** ISO time of the holder's last heartbeat; undefined when it never beat (an older berth). */
  beat?: string;
}

export interface PathStat {
  name: string;
  size: number;
  /** Go's file mode bits: the directory bit is 1 << 31. */
  mode: number;
  isDir: boolean;
  linkTarget: string;
}

/** The processes of a container as `ps` inside it shows them. */
export interface ProcessList {
  titles: string[];
  processes: string[][];
}

export interface Engine {
  /** Where the engine is, for messages: `unix:///var/run/docker.sock`, `tcp://host:2376`, `fake`. */
  readonly endpoint: string;
  info(): Promise<EngineInfo>;
  /**
   * The API version the engine speaks (`1.41`): what berth needs of `info()` on every `up`, without the
   * engine's /info, which took 200 ms beside a client switch's stops (2.6 s at load 40).
   */
  engineApi(): Promise<string>;
  /** Docker or Podman, as the ping every verb starts with said (no extra call). */
  product(): Promise<Product>;

  // ---- what exists
  listContainers(filter: ListFilter & { all?: boolean }): Promise<ObservedContainer[]>;
  /** undefined when it does not exist. */
  inspectContainer(id: string): Promise<InspectedContainer | undefined>;
  listNetworks(filter: ListFilter): Promise<ObservedNetwork[]>;
  listVolumes(filter: ListFilter): Promise<ObservedVolume[]>;
  listImages(filter: ListFilter): Promise<ObservedImage[]>;
  /** undefined when the engine does not have it. */
  inspectImage(ref: string): Promise<ObservedImage | undefined>;

  // ---- containers
  /** Create (not start) a container; resolves to its ID. Attaches every network the service joins. */
  createContainer(spec: ContainerSpec): Promise<string>;
  startContainer(id: string): Promise<void>;
  /** Stop with the container's own stop signal; `timeoutSec` overrides its grace period. */
  stopContainer(id: string, timeoutSec?: number): Promise<void>;
  restartContainer(id: string, timeoutSec?: number): Promise<void>;
  killContainer(id: string, signal?: string): Promise<void>;
  pauseContainer(id: string): Promise<void>;
  unpauseContainer(id: string): Promise<void>;
  removeContainer(id: string, opts?: { volumes?: boolean; force?: boolean }): Promise<void>;
  renameContainer(id: string, name: string): Promise<void>;
  /** Copy a tar archive into the container at `path` (before start: secrets and configs from content). */
  copyToContainer(id: string, path: string, tar: Buffer): Promise<void>;
  /** A path of the container as a tar, with its stat; undefined when the path does not exist. */
  getArchive(id: string, path: string): Promise<{ stat: PathStat; tar: Readable } | undefined>;
  /** The container's processes (`docker top`); `psArgs` as `ps` takes them. */
  topContainer(id: string, psArgs?: string): Promise<ProcessList>;
  /** Resolves to the exit code once the container is not running (at once when it already stopped). */
  waitContainer(id: string, signal?: AbortSignal): Promise<number>;
  /** The container's log stream as raw bytes: multiplexed frames, or plain bytes for a TTY container. */
  openLogs(id: string, opts: LogOptions): Promise<Readable>;
  /** The last `n` lines (stdout and stderr), for failure messages; [] when there are none or it is gone. */
  tailLogs(id: string, n: number): Promise<string[]>;
  exec(id: string, opts: ExecOptions): Promise<Session>;
  /** Run a command detached and wait for it: true when it exits 0 within `timeoutMs`. Never throws. */
  check(id: string, cmd: string[], timeoutMs: number): Promise<boolean>;
  /** Attach to a created container, start it and follow it to its end, as `docker run` does. */
  attachAndStart(id: string, io: SessionIO): Promise<Session>;
  containerChanges(id: string): Promise<FsChange[]>;
  /** Resolves to the new image's ID. */
  commitContainer(id: string, opts: CommitOptions): Promise<string>;
  /** The container's filesystem as a tar (`docker export`). */
  exportContainer(id: string): Promise<Readable>;

  // ---- networks and volumes
  createNetwork(spec: ResourceSpec): Promise<void>;
  removeNetwork(idOrName: string): Promise<void>;
  /** Attach a container to a network besides its own (the client router joins each routed client's). Attached already: succeeds. */
  connectNetwork(network: string, containerId: string): Promise<void>;
  /** Detach a container from a network. Not attached, or either is gone: succeeds. */
  disconnectNetwork(network: string, containerId: string): Promise<void>;
  createVolume(spec: ResourceSpec): Promise<void>;
  /** A volume of no stack (a data snapshot): this exact name and these labels; 'conflict' when the name is taken. */
  createLabelledVolume(name: string, labels: Labels): Promise<void>;
  removeVolume(name: string): Promise<void>;
  /** Run a helper container to its end and remove it (never pulls: the image must be local). */
  runTask(spec: TaskSpec): Promise<TaskResult>;

  // ---- locks (one object per name on the engine, so every process talking to it sees the same lock)
  /** Atomically create the lock `name` carrying `labels`: its ID, or undefined when it exists already. */
  createLock(name: string, labels: Labels): Promise<string | undefined>;
  /** The lock `name` as it is: undefined when there is none. */
  inspectLock(name: string): Promise<LockInfo | undefined>;
  /** The holder's heartbeat: records `at` (ISO time) on the lock, so others see it is alive. */
  refreshLock(id: string, at: string): Promise<void>;
  /** Remove a lock by ID (a lock taken over since then has another ID and stays). Gone is fine. */
  removeLock(id: string): Promise<void>;

  // ---- images
  /** The builder `buildImage` uses here: BuildKit when the engine offers it, else the classic builder. */
  builder(): Promise<BuilderInfo>;
  /**
   * Build a service's image from its `build:` section; resolves to the image ID. With BuildKit, a build whose
   * settings only the classic builder honours (`shm_size`, a named `network`) and that needs nothing
   * BuildKit-only goes to the classic builder.
   */
  buildImage(service: Service, opts: BuildOptions): Promise<string>;
  /** Pull by reference; resolves to the image ID. */
  pullImage(ref: string, opts: PullOptions): Promise<string>;
  tagImage(id: string, ref: string): Promise<void>;
  /** Remove an image; never forced. */
  removeImage(ref: string): Promise<void>;
  /** `docker save` of one reference. */
  saveImage(ref: string): Promise<Readable>;

  // ---- events
  /**
   * Container events matching the filter until `close()`. Resolves once the engine has accepted the
   * subscription, so a caller that lists afterwards misses nothing in between.
   */
  watchContainerEvents(filter: ListFilter, onEvent: (e: ContainerEvent) => void): Promise<EventWatch>;
}
