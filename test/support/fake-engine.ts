// An in-memory engine for unit tests: it implements the engine port and behaves like dockerd where berth depends
// on it (names unique, real state transitions, health derived from the service's healthcheck, one ordered event
// stream), so the executor and operations can be tested in milliseconds without a daemon. It is not a mock:
// calls change state, and a wrong sequence of calls fails the way it would on the engine.
//
// Time is virtual. Health checks, scheduled exits and restart back-offs are timers on a VirtualClock; in `auto`
// mode the clock fires one due timer per turn of the event loop (so a run never waits for a real interval), in
// manual mode only `advance()` / `step()` move it, and a test decides exactly when a container becomes healthy.
//
// Test knobs: per-service behaviour (`behave`), failures on demand (`fail`, `failNext`), call latency, a record of
// every call with the number in flight (`calls`, `maxInFlight`), and hooks that run before the Nth call
// (`beforeCall`), e.g. to abort a run at every step.
import { createHash } from 'node:crypto';
import { PassThrough, Readable } from 'node:stream';
import type { Healthcheck, PortSpec, Service, Stack } from '../../src/model/stack.js';
import { EngineError, type EngineErrorKind } from '../../src/engine/errors.js';
import type {
  BuilderInfo,
  BuildOptions,
  CommitOptions,
  ContainerSpec,
  Engine,
  EngineInfo,
  EventWatch,
  ExecOptions,
  ListFilter,
  LockInfo,
  LogOptions,
  PathStat,
  ProcessList,
  PullOptions,
  ResourceSpec,
  Session,
  SessionIO,
  TaskResult,
  TaskSpec,
} from '../../src/engine/port.js';
import {
  type ContainerEvent,
  type ContainerState,
  containerName,
  type FsChange,
  type Health,
  type InspectedContainer,
  Label,
  type Labels,
  type LabelSelector,
  type ObservedContainer,
  type ObservedImage,
  type ObservedNetwork,
  type ObservedVolume,
  ownerLabels,
  ComposeLabel,
  isOneOff,
  composeContainerLabels,
  composeProjectLabels,
  type PublishedPort,
  replicaOf,
  resourceName,
} from '../../src/model/index.js';
import { VERSION } from '../../src/version.js';

// ---------------------------------------------------------------------------------------------- virtual clock

interface Timer {
  at: number;
  seq: number;
  fn: () => void;
}

/** Virtual milliseconds. Timers fire in order of their due time (then of scheduling). */
export class VirtualClock {
  private t = 0;
  private seq = 0;
  private timers: Timer[] = [];
  private pumping = false;
  private closed = false;

  /** In auto mode one due timer fires per turn of the event loop; otherwise only advance()/step() fire them. */
  constructor(private autoMode = true) {}

  now(): number {
    return this.t;
  }

  get auto(): boolean {
    return this.autoMode;
  }

  set auto(on: boolean) {
    this.autoMode = on;
    this.pump();
  }

  /** Schedule `fn` in `ms` virtual ms; returns a cancel function. */
  after(ms: number, fn: () => void): () => void {
    const timer: Timer = { at: this.t + Math.max(0, ms), seq: this.seq++, fn };
    this.timers.push(timer);
    this.timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
    this.pump();
    return () => {
      this.timers = this.timers.filter((x) => x !== timer);
    };
  }

  get pending(): number {
    return this.timers.length;
  }

  /** Fire the next timer (moving time to it); false when none is pending. */
  step(): boolean {
    const next = this.timers.shift();
    if (!next) return false;
    this.t = Math.max(this.t, next.at);
    next.fn();
    return true;
  }

  /** Move time forward by `ms`, firing every timer due by then (including ones they schedule). */
  advance(ms: number): void {
    const end = this.t + ms;
    while (this.timers[0] && this.timers[0].at <= end) this.step();
    this.t = end;
  }

  stop(): void {
    this.closed = true;
    this.timers = [];
  }

  private pump(): void {
    if (!this.autoMode || this.pumping || this.closed || !this.timers.length) return;
    this.pumping = true;
    setImmediate(() => {
      this.pumping = false;
      if (!this.autoMode || this.closed) return;
      this.step();
      this.pump();
    });
  }
}

// ---------------------------------------------------------------------------------------------- behaviour

/** How the containers of one service behave once started. Every field is optional. */
export interface Behaviour {
  /**
   * The healthcheck run that first passes (1-based, counted from each start); every later run passes too.
   * Default 1. `Infinity`: never healthy; after `retries` failing runs (the spec's, default 3) it is
   * `unhealthy`, as dockerd decides.
   */
  healthyAfter?: number;
  /** The main process exits by itself with this code, `exitAfterMs` virtual ms after each start (default 1). */
  exitCode?: number;
  exitAfterMs?: number;
  /** Starting fails with this message (as an entrypoint that cannot run): EngineError 'failed', exit code 127. */
  startFails?: string;
  /** Lines written to the log at each start, and when the process exits by itself. */
  logsOnStart?: string[];
  logsOnExit?: string[];
  /** Exit code when stopped (a process that handles SIGTERM exits 0; one that is killed by it, 143). Default 0. */
  stopExitCode?: number;
  /** What `check()` answers; default: true while running. */
  check?: boolean | ((cmd: string[]) => boolean);
  /** Exit code of `exec` sessions (or per command); default 0. */
  execExitCode?: number | ((cmd: string[]) => number);
  /** Lines an `exec` session writes to its stdout. */
  execOutput?: string[];
  /** Report a healthcheck even when the service declares none (one that comes from the image). */
  imageHealthcheck?: boolean;
}

// ---------------------------------------------------------------------------------------------- calls

export type EngineMethod = {
  [K in keyof Engine]: Engine[K] extends (...args: never[]) => unknown ? K : never;
}[keyof Engine];

/** The engine calls that change something: what `up`, `down` and `stop` are made of. */
export const MUTATING: readonly EngineMethod[] = [
  'createContainer',
  'startContainer',
  'stopContainer',
  'restartContainer',
  'killContainer',
  'pauseContainer',
  'unpauseContainer',
  'removeContainer',
  'renameContainer',
  'copyToContainer',
  'createNetwork',
  'removeNetwork',
  'connectNetwork',
  'disconnectNetwork',
  'createVolume',
  'removeVolume',
  'buildImage',
  'pullImage',
  'tagImage',
  'removeImage',
  'commitContainer',
];

/** Calls whose target is an existing container. */
const CONTAINER_CALLS = new Set<EngineMethod>([
  'inspectContainer',
  'startContainer',
  'stopContainer',
  'restartContainer',
  'killContainer',
  'pauseContainer',
  'unpauseContainer',
  'removeContainer',
  'renameContainer',
  'copyToContainer',
  'openLogs',
  'tailLogs',
  'exec',
  'check',
  'attachAndStart',
  'containerChanges',
  'commitContainer',
  'exportContainer',
  'getArchive',
  'topContainer',
  'waitContainer',
]);

export interface CallRecord {
  /** 1-based order of invocation. */
  seq: number;
  method: EngineMethod;
  /** Container ID or name, resource name, image reference: what the call is about, as passed. */
  target: string;
  /** Canonical container name / service the call is about, when it is about a container. */
  name?: string;
  service?: string;
  args: unknown[];
  /** Calls in flight when this one began, itself included. */
  inFlight: number;
  /** Positions on one counter of call starts and ends, for interval questions (overlap, order). */
  startedAt: number;
  endedAt?: number;
  error?: unknown;
}

/** Which calls a knob applies to: a method list, or a predicate over the call. */
export type CallFilter = readonly EngineMethod[] | ((c: CallRecord) => boolean);

/** Matches a call's target: a container ID (or prefix), container name, service name, resource name or ref. */
export type TargetMatch = string | ((c: CallRecord) => boolean) | undefined;

interface Fault {
  method: EngineMethod;
  match: TargetMatch;
  error: unknown;
  times: number;
}

interface Hook {
  n: number;
  filter?: CallFilter;
  fn: (c: CallRecord) => void | Promise<void>;
  count: number;
}

// ---------------------------------------------------------------------------------------------- state

interface LogLine {
  t: number;
  stream: 'stdout' | 'stderr';
  text: string;
}

interface FakeContainer {
  id: string;
  name: string;
  labels: Labels;
  image: string;
  imageId: string;
  command: string;
  created: number;
  service: string;
  state: ContainerState;
  exitCode: number;
  startedAt?: number;
  finishedAt?: number;
  restarts: number;
  health?: Health;
  healthcheck?: Healthcheck;
  hasHealthcheck: boolean;
  networks: string[];
  volumes: string[];
  /** Its anonymous volumes by container path (a `volumes:` entry without a source). */
  anonymous: Record<string, string>;
  ports: PortSpec[];
  bound: PublishedPort[];
  /** `container:<name>` namespaces it joins (network_mode, ipc, pid: service:x). */
  joins: string[];
  tty: boolean;
  autoRemove: boolean;
  /** The service's `restart:` policy: what the engine does when the process exits by itself. */
  restartPolicy?: string;
  logs: LogLine[];
  /** Incremented on every start and stop, so timers of an earlier run do nothing. */
  generation: number;
  checks: number;
  failing: number;
  changes: FsChange[];
  copied: Array<{ path: string; tar: Buffer }>;
}

interface FakeResource {
  id: string;
  name: string;
  labels: Labels;
}

interface FakeImage {
  id: string;
  tags: string[];
  labels: Labels;
  sizeBytes: number;
  created: number;
}

interface Watcher {
  filter: ListFilter;
  onEvent: (e: ContainerEvent) => void;
  queue: ContainerEvent[];
  flushing: boolean;
  closed: boolean;
  resolve: () => void;
}

/** A state a test can read: the containers as a list call would show them (all of them). */
export interface FakeSnapshot {
  containers: ObservedContainer[];
  networks: ObservedNetwork[];
  volumes: ObservedVolume[];
}

const EPOCH_MS = Date.UTC(2025, 0, 1);
const SIGNALS: Record<string, number> = { HUP: 1, INT: 2, QUIT: 3, KILL: 9, USR1: 10, USR2: 12, TERM: 15 };

const err = (kind: EngineErrorKind, message: string, status: number) =>
  new EngineError(kind, message, status);
const notFound = (what: string) => err('not-found', what, 404);
const conflict = (what: string) => err('conflict', what, 409);

const hex = (s: string) => createHash('sha256').update(s).digest('hex');

/** `name` → `name:latest`; digests and IDs as they are. */
export function normalizeRef(ref: string): string {
  if (ref.startsWith('sha256:') || ref.includes('@')) return ref;
  const slash = ref.lastIndexOf('/');
  return ref.slice(slash + 1).includes(':') ? ref : `${ref}:latest`;
}

export function matchesSelectors(labels: Labels, selectors: LabelSelector[] | undefined): boolean {
  return (selectors ?? []).every((sel) => {
    const i = sel.indexOf('=');
    return i < 0 ? sel in labels : labels[sel.slice(0, i)] === sel.slice(i + 1);
  });
}

/** Engine names of the networks a service joins, as the adapters attach them. */
function networksOf(stack: Stack, svc: Service): string[] {
  if (svc.network_mode) return [];
  const keys = Object.keys(svc.networks);
  return keys
    .map((k, i) => ({ k, i, p: svc.networks[k]?.priority ?? 0 }))
    .sort((a, b) => b.p - a.p || a.i - b.i)
    .map(({ k }) => resourceName(stack.project, k, stack.networks[k]?.name));
}

/** Container names whose namespace or volumes the service joins (`service:x`, `container:x`). */
function joinsOf(stack: Stack, svc: Service): string[] {
  const out: string[] = [];
  const ref = (mode: string | undefined) => {
    if (!mode) return;
    if (mode.startsWith('container:')) out.push(mode.slice('container:'.length));
    if (mode.startsWith('service:')) {
      const dep = mode.slice('service:'.length);
      out.push(containerName(stack.project, dep, 1, stack.services[dep]?.container_name));
    }
  };
  ref(svc.network_mode);
  ref(svc.ipc);
  ref(svc.pid);
  for (const v of svc.volumes_from) {
    if (v.startsWith('container:')) out.push(v.slice('container:'.length).split(':')[0]!);
    else {
      const dep = v.replace(/^service:/, '').split(':')[0]!;
      out.push(containerName(stack.project, dep, 1, stack.services[dep]?.container_name));
    }
  }
  return out;
}

function statusOf(c: FakeContainer, now: number): string {
  const ago = (t: number | undefined) => {
    const s = Math.max(0, Math.round((now - (t ?? now)) / 1000));
    return s < 1 ? 'Less than a second' : `${s} second${s === 1 ? '' : 's'}`;
  };
  switch (c.state) {
    case 'running': {
      const h = c.health === 'starting' ? ' (health: starting)' : c.health ? ` (${c.health})` : '';
      return `Up ${ago(c.startedAt)}${h}`;
    }
    case 'paused':
      return `Up ${ago(c.startedAt)} (Paused)`;
    case 'restarting':
      return `Restarting (${c.exitCode}) ${ago(c.finishedAt)} ago`;
    case 'removing':
      return 'Removal In Progress';
    case 'exited':
      return `Exited (${c.exitCode}) ${ago(c.finishedAt)} ago`;
    case 'dead':
      return 'Dead';
    default:
      return 'Created';
  }
}

// ---------------------------------------------------------------------------------------------- the fake

export interface FakeEngineOptions {
  /** Fire timers on their own (default true); false: only `advance()`/`step()` move time. */
  autoClock?: boolean;
  /** API version `info()` reports (below 1.44 makes berth run start_interval probes itself). */
  apiVersion?: string;
  /** Refuse to create a container whose image was not added (dockerd's 404 "No such image"). Default false. */
  requireImages?: boolean;
}

export class FakeEngine implements Engine {
  readonly endpoint = 'fake';
  readonly clock: VirtualClock;
  apiVersion: string;
  requireImages: boolean;
  /**
   * Latency of every call: real ms, or a promise the call waits for (a gate the test opens). 0 (default) still
   * yields one turn of the event loop, so calls issued together are in flight together, as on a real engine.
   */
  latency: number | ((c: CallRecord) => number | Promise<void>) = 0;

  readonly calls: CallRecord[] = [];
  /** Every event emitted, in order (whether or not anyone watched). */
  readonly events: ContainerEvent[] = [];

  private readonly containers = new Map<string, FakeContainer>();
  private readonly networks = new Map<string, FakeResource>();
  private readonly volumes = new Map<string, FakeResource>();
  private anonymousVolumes = 0;
  private readonly images = new Map<string, FakeImage>();
  private readonly pullable = new Map<string, FakeImage>();
  private readonly behaviours = new Map<string, Behaviour>();
  private readonly faults: Fault[] = [];
  private readonly hooks: Hook[] = [];
  private readonly watchers = new Set<Watcher>();
  private readonly logFollowers = new Map<string, Set<(l: LogLine | undefined) => void>>();
  private readonly changeListeners = new Set<() => void>();
  private inFlight = 0;
  private tick = 0;
  private counter = 0;
  private nextHostPort = 32768;
  /** Host ports held by processes outside the engine (`takeHostPort`). */
  private readonly takenHostPorts: { hostIp: string; port: number }[] = [];

  constructor(opts: FakeEngineOptions = {}) {
    this.clock = new VirtualClock(opts.autoClock ?? true);
    this.apiVersion = opts.apiVersion ?? '1.47';
    this.requireImages = opts.requireImages ?? false;
  }

  // ------------------------------------------------------------------------------------------ test knobs

  /** Set how the containers of a service (or one container, by name) behave; merged over what was set. */
  behave(serviceOrName: string, b: Behaviour): this {
    this.behaviours.set(serviceOrName, { ...this.behaviours.get(serviceOrName), ...b });
    return this;
  }

  /** Make the next `times` calls of `method` matching `match` fail with `error` (after their latency). */
  fail(method: EngineMethod, match: TargetMatch, error: unknown, times = Number.POSITIVE_INFINITY): this {
    this.faults.push({ method, match, error, times });
    return this;
  }

  failNext(method: EngineMethod, match: TargetMatch, error: unknown): this {
    return this.fail(method, match, error, 1);
  }

  /** Run `fn` right before the Nth call (1-based) matching `filter` does anything; it may be async. */
  beforeCall(n: number, fn: (c: CallRecord) => void | Promise<void>, filter?: CallFilter): this {
    this.hooks.push({ n, filter, fn, count: 0 });
    return this;
  }

  /**
   * A process on the host holds this port from now on: starting a container that publishes it fails as dockerd
   * fails when its userland proxy cannot bind (the check berth made before may have found it free).
   */
  takeHostPort(hostIp: string, port: number): this {
    this.takenHostPorts.push({ hostIp, port });
    return this;
  }

  /** Register an image the engine has. */
  addImage(ref: string | string[], opts: { id?: string; labels?: Labels; sizeBytes?: number } = {}): string {
    const tags = (Array.isArray(ref) ? ref : [ref]).map(normalizeRef);
    const id = opts.id ?? `sha256:${hex(`image:${tags.join(',')}:${this.counter++}`)}`;
    for (const t of tags) this.untag(t);
    const img = this.images.get(id) ?? {
      id,
      tags: [],
      labels: opts.labels ?? {},
      sizeBytes: opts.sizeBytes ?? 1_000_000,
      created: Math.floor((EPOCH_MS + this.clock.now()) / 1000),
    };
    img.tags.push(...tags.filter((t) => !img.tags.includes(t)));
    this.images.set(id, img);
    return id;
  }

  /** An image that `pullImage` can fetch (from a registry the fake pretends to reach). */
  addPullable(ref: string, opts: { id?: string; labels?: Labels } = {}): string {
    const id = opts.id ?? `sha256:${hex(`pullable:${ref}`)}`;
    this.pullable.set(normalizeRef(ref), {
      id,
      tags: [normalizeRef(ref)],
      labels: opts.labels ?? {},
      sizeBytes: 1_000_000,
      created: 0,
    });
    return id;
  }

  /** Write a line to a container's log, as its process would. */
  writeLog(idOrName: string, text: string, stream: 'stdout' | 'stderr' = 'stdout'): void {
    const c = this.find(idOrName);
    if (!c) throw new Error(`fake engine: no container ${idOrName}`);
    this.log(c, [text], stream);
  }

  /** Set what `containerChanges` reports for a container. */
  setChanges(idOrName: string, changes: FsChange[]): void {
    const c = this.find(idOrName);
    if (!c) throw new Error(`fake engine: no container ${idOrName}`);
    c.changes = changes;
  }

  /** Make a running container's process exit now (as a crash would), with the behaviour's restart rules. */
  crash(idOrName: string, code = 1): void {
    const c = this.find(idOrName);
    if (c?.state !== 'running') throw new Error(`fake engine: ${idOrName} is not running`);
    this.exit(c, code);
  }

  /** Move virtual time (manual clock). */
  advance(ms: number): void {
    this.clock.advance(ms);
  }

  /** Stop the clock and end every watch and log stream. */
  close(): void {
    this.clock.stop();
    for (const w of this.watchers) this.closeWatch(w);
    for (const set of this.logFollowers.values()) for (const f of set) f(undefined);
  }

  /**
   * Resolves once `pred` holds, checking after every state change (never by polling); rejects after `timeoutMs`
   * real ms with `what` in the message.
   */
  when(pred: (f: this) => boolean, what = 'condition', timeoutMs = 10_000): Promise<void> {
    if (pred(this)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!pred(this)) return;
        this.changeListeners.delete(check);
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.changeListeners.delete(check);
        reject(new Error(`fake engine: timed out waiting for ${what}`));
      }, timeoutMs);
      this.changeListeners.add(check);
    });
  }

  // ------------------------------------------------------------------------------------------ reading state

  /** Every container, as a list call with `all` shows it. */
  list(): ObservedContainer[] {
    return [...this.containers.values()].map((c) => this.observe(c));
  }

  /** One container by ID, ID prefix or name, as inspect shows it; undefined when there is none. */
  get(idOrName: string): InspectedContainer | undefined {
    const c = this.find(idOrName);
    return c && this.inspect(c);
  }

  /** Names of every container, sorted. */
  names(): string[] {
    return [...this.containers.values()].map((c) => c.name).sort();
  }

  snapshot(): FakeSnapshot {
    return {
      containers: this.list(),
      networks: [...this.networks.values()].map((n) => this.observeNetwork(n)),
      volumes: [...this.volumes.values()].map((v) => ({ ...v })),
    };
  }

  /** Log lines of a container (stdout and stderr, in order). */
  logsOf(idOrName: string): string[] {
    return this.find(idOrName)?.logs.map((l) => l.text) ?? [];
  }

  /** What was copied into a container before start. */
  copiedInto(idOrName: string): Array<{ path: string; tar: Buffer }> {
    return this.find(idOrName)?.copied ?? [];
  }

  /** The calls that match `filter` (default: every call). */
  callsOf(filter?: CallFilter): CallRecord[] {
    return this.calls.filter((c) => matchesFilter(c, filter));
  }

  /** The most calls matching `filter` that were ever in flight at once. */
  maxInFlight(filter?: CallFilter): number {
    const marks: Array<[number, number]> = [];
    for (const c of this.callsOf(filter)) {
      marks.push([c.startedAt, 1]);
      marks.push([c.endedAt ?? Number.POSITIVE_INFINITY, -1]);
    }
    marks.sort((a, b) => a[0] - b[0]);
    let now = 0;
    let max = 0;
    for (const [, d] of marks) {
      now += d;
      max = Math.max(max, now);
    }
    return max;
  }

  // ------------------------------------------------------------------------------------------ the port

  engineApi(): Promise<string> {
    return this.call('engineApi', 'engine', [], async () => this.apiVersion);
  }

  product(): Promise<'docker'> {
    return this.call('product', 'engine', [], async () => 'docker' as const);
  }

  info(): Promise<EngineInfo> {
    return this.call('info', 'engine', [], async () => ({
      version: 'fake 1.0',
      apiVersion: this.apiVersion,
    }));
  }

  listContainers(filter: ListFilter & { all?: boolean }): Promise<ObservedContainer[]> {
    return this.call('listContainers', '', [filter], async () => [
      ...[...this.containers.values()]
        .filter(
          (c) =>
            matchesSelectors(c.labels, filter.labels) &&
            (filter.all || c.state === 'running' || c.state === 'paused' || c.state === 'restarting'),
        )
        .map((c) => this.observe(c)),
      // A lock is a never-started container on dockerd: `all` lists show it under its name.
      ...[...this.locks]
        .filter(([, l]) => filter.all && matchesSelectors(l.labels, filter.labels))
        .map(([name, l]) => this.observeLock(name, l)),
    ]);
  }

  private observeLock(name: string, l: { id: string; labels: Labels }): ObservedContainer {
    return {
      id: l.id,
      name,
      project: '',
      service: '',
      replica: 1,
      hash: '',
      state: 'created',
      status: 'Created',
      image: 'berth/lock',
      imageId: '',
      command: '',
      created: 0,
      networks: [],
      ports: [],
      labels: { ...l.labels },
      oneoff: false,
    };
  }

  inspectContainer(id: string): Promise<InspectedContainer | undefined> {
    return this.call('inspectContainer', id, [id], async () => {
      const c = this.find(id);
      return c && this.inspect(c);
    });
  }

  listNetworks(filter: ListFilter): Promise<ObservedNetwork[]> {
    return this.call('listNetworks', '', [filter], async () =>
      [...this.networks.values()]
        .filter((n) => matchesSelectors(n.labels, filter.labels))
        .map((n) => this.observeNetwork(n)),
    );
  }

  listVolumes(filter: ListFilter): Promise<ObservedVolume[]> {
    return this.call('listVolumes', '', [filter], async () =>
      [...this.volumes.values()]
        .filter((v) => matchesSelectors(v.labels, filter.labels))
        .map((v) => ({ name: v.name, labels: { ...v.labels }, mountpoint: `/fake/volumes/${v.name}/_data` })),
    );
  }

  listImages(filter: ListFilter): Promise<ObservedImage[]> {
    return this.call('listImages', '', [filter], async () =>
      [...this.images.values()]
        .filter((i) => matchesSelectors(i.labels, filter.labels))
        .map((i) => observeImage(i)),
    );
  }

  inspectImage(ref: string): Promise<ObservedImage | undefined> {
    return this.call('inspectImage', ref, [ref], async () => {
      const img = this.findImage(ref);
      return img && observeImage(img);
    });
  }

  createContainer(spec: ContainerSpec): Promise<string> {
    return this.call('createContainer', spec.name, [spec], async () => {
      const svc = spec.stack.services[spec.service];
      if (!svc) throw err('invalid', `no such service: ${spec.service}`, 400);
      const taken = this.byName(spec.name);
      if (taken)
        throw conflict(
          `Conflict. The container name "/${spec.name}" is already in use by container "${taken.id}". You have to remove (or rename) that container to be able to reuse that name.`,
        );
      const img = this.findImage(svc.image);
      if (!img && this.requireImages) throw notFound(`No such image: ${normalizeRef(svc.image)}`);
      const networks = networksOf(spec.stack, svc);
      for (const n of networks) if (!this.networks.has(n)) throw notFound(`network ${n} not found`);
      const joins = joinsOf(spec.stack, svc);
      for (const j of joins) if (!this.byName(j)) throw notFound(`No such container: ${j}`);
      const volumes: string[] = [];
      // a pre_start hook's one-off shares the mounts of the service's new container (VolumesFrom), as dockerd does
      const from =
        spec.kind === 'oneoff' && spec.volumesFrom ? this.containers.get(spec.volumesFrom) : undefined;
      if (spec.kind === 'oneoff' && spec.volumesFrom && !from)
        throw notFound(`No such container: ${spec.volumesFrom}`);
      if (from) volumes.push(...from.volumes);
      const anonymous: Record<string, string> = {};
      // a recreate's successor takes over the anonymous volumes of the container it replaces, as dockerd
      // does when given them as mounts (Compose and berth pass them unless `up -V`)
      const inherit = spec.kind === 'replica' && spec.inherit ? this.containers.get(spec.inherit) : undefined;
      for (const m of from ? [] : svc.volumes) {
        if (m.type === 'volume' && !m.source) {
          const name =
            inherit?.anonymous[m.target] ??
            hex(`anonymous:${++this.anonymousVolumes}:${spec.name}:${m.target}`);
          if (!this.volumes.has(name)) this.volumes.set(name, { id: name, name, labels: {} });
          anonymous[m.target] = name;
          volumes.push(name);
          continue;
        }
        if (m.type !== 'volume' || !m.source) continue;
        const name = resourceName(spec.stack.project, m.source, spec.stack.volumes[m.source]?.name);
        // dockerd makes a missing named volume on the fly, without labels
        if (!this.volumes.has(name)) this.volumes.set(name, { id: name, name, labels: {} });
        volumes.push(name);
      }
      // an image's labels are the container's too, under its own (as dockerd merges Config.Labels)
      const labels: Labels = {
        ...img?.labels,
        ...svc.labels,
        ...ownerLabels(spec.stack),
        [Label.service]: svc.name,
        ...(spec.stack.files[0] ? { [Label.file]: spec.stack.files[0] } : {}),
        [Label.version]: VERSION,
      };
      Object.assign(
        labels,
        composeContainerLabels(
          spec.stack,
          svc.name,
          VERSION,
          spec.kind === 'replica' ? spec.replica : 'oneoff',
        ),
      );
      if (spec.kind === 'replica') {
        labels[Label.replica] = String(spec.replica);
        labels[Label.configHash] = spec.hash;
      } else labels[Label.oneoff] = 'true';
      const hc = svc.healthcheck;
      const healthcheck = hc && !hc.disable && hc.test[0] !== 'NONE' ? hc : undefined;
      const n = ++this.counter;
      const id = n.toString(16).padStart(12, '0') + hex(`container:${n}:${spec.name}`).slice(0, 52);
      const command = spec.kind === 'oneoff' && spec.command ? spec.command : (svc.command ?? ['/bin/sh']);
      const c: FakeContainer = {
        id,
        name: spec.name,
        labels,
        image: svc.image,
        imageId: img?.id ?? `sha256:${hex(`image:${normalizeRef(svc.image)}`)}`,
        command: command.join(' '),
        created: EPOCH_MS + this.clock.now(),
        service: svc.name,
        state: 'created',
        exitCode: 0,
        restarts: 0,
        healthcheck,
        hasHealthcheck: !!healthcheck || !!this.behaviourOf(svc.name, spec.name).imageHealthcheck,
        networks,
        volumes,
        anonymous,
        ports: spec.kind === 'oneoff' ? spec.ports : svc.ports,
        bound: [],
        joins,
        tty: spec.kind === 'oneoff' ? spec.tty : svc.tty,
        autoRemove: spec.kind === 'oneoff' && !!spec.autoRemove,
        restartPolicy: spec.kind === 'replica' ? svc.restart : undefined,
        logs: [],
        generation: 0,
        checks: 0,
        failing: 0,
        changes: [],
        copied: [],
      };
      this.containers.set(id, c);
      this.emit(c, 'create');
      return id;
    });
  }

  startContainer(id: string): Promise<void> {
    return this.call('startContainer', id, [id], async () => this.start(this.must(id)));
  }

  stopContainer(id: string, timeoutSec?: number): Promise<void> {
    return this.call('stopContainer', id, [id, timeoutSec], async () => {
      const c = this.find(id);
      if (c) this.stop(c); // stopping a gone container succeeds, as the adapter treats dockerd's 404
    });
  }

  restartContainer(id: string, timeoutSec?: number): Promise<void> {
    return this.call('restartContainer', id, [id, timeoutSec], async () => {
      const c = this.must(id);
      if (c.state === 'removing') throw conflict(`cannot restart container ${c.id}: removal in progress`);
      this.stop(c);
      this.start(c);
      this.emit(c, 'restart');
    });
  }

  killContainer(id: string, signal = 'KILL'): Promise<void> {
    return this.call('killContainer', id, [id, signal], async () => {
      const c = this.must(id);
      if (c.state !== 'running' && c.state !== 'paused' && c.state !== 'restarting')
        throw conflict(`Cannot kill container: ${c.id}: Container ${c.id} is not running`);
      const n = SIGNALS[signal.replace(/^SIG/, '').toUpperCase()] ?? (Number(signal) || 9);
      this.emit(c, 'kill', { signal: String(n) });
      this.halt(c, 128 + n);
    });
  }

  pauseContainer(id: string): Promise<void> {
    return this.call('pauseContainer', id, [id], async () => {
      const c = this.must(id);
      if (c.state === 'paused') throw conflict(`Container ${c.id} is already paused`);
      if (c.state !== 'running') throw conflict(`Container ${c.id} is not running`);
      c.state = 'paused';
      this.emit(c, 'pause');
    });
  }

  unpauseContainer(id: string): Promise<void> {
    return this.call('unpauseContainer', id, [id], async () => {
      const c = this.must(id);
      if (c.state !== 'paused') throw conflict(`Container ${c.id} is not paused`);
      c.state = 'running';
      this.emit(c, 'unpause');
    });
  }

  removeContainer(id: string, opts: { volumes?: boolean; force?: boolean } = {}): Promise<void> {
    return this.call(
      'removeContainer',
      id,
      [id, opts],
      async (wait) => {
        const c = this.find(id);
        if (!c) return; // removing a gone container succeeds (port convention)
        if (c.state === 'removing') return; // dockerd says 409 "already in progress"; it ends the same way
        const live = c.state === 'running' || c.state === 'paused' || c.state === 'restarting';
        if (live && !opts.force)
          throw conflict(
            `cannot remove container "/${c.name}": container is ${c.state}: stop the container before removing or force remove`,
          );
        if (live) {
          this.emit(c, 'kill', { signal: '9' });
          this.halt(c, 137);
        }
        c.state = 'removing';
        this.changed();
        // the removal takes the call's latency, and the name stays taken until it is over, as on dockerd
        await wait();
        this.containers.delete(c.id);
        for (const f of this.logFollowers.get(c.id) ?? []) f(undefined);
        this.emit(c, 'destroy');
        // `v`: its anonymous volumes go with it, unless another container still uses one
        if (opts.volumes)
          for (const v of Object.values(c.anonymous))
            if (![...this.containers.values()].some((o) => o.volumes.includes(v))) this.volumes.delete(v);
      },
      true,
    );
  }

  renameContainer(id: string, name: string): Promise<void> {
    return this.call('renameContainer', id, [id, name], async () => {
      const c = this.must(id);
      const clean = name.replace(/^\//, '');
      if (clean === c.name)
        throw err('invalid', `Renaming a container with the same name as its current name`, 400);
      const taken = this.byName(clean);
      if (taken)
        throw conflict(
          `Error when allocating new name: Conflict. The container name "/${clean}" is already in use by container "${taken.id}". You have to remove (or rename) that container to be able to reuse that name.`,
        );
      const oldName = c.name;
      c.name = clean;
      this.emit(c, 'rename', { oldName: `/${oldName}` });
    });
  }

  copyToContainer(id: string, path: string, tar: Buffer): Promise<void> {
    return this.call('copyToContainer', id, [id, path, tar], async () => {
      this.must(id).copied.push({ path, tar });
    });
  }

  openLogs(id: string, opts: LogOptions): Promise<Readable> {
    return this.call('openLogs', id, [id, opts], async () => {
      const c = this.must(id);
      const since = opts.since === undefined ? undefined : Number(opts.since) * 1000;
      const until = opts.until === undefined ? undefined : Number(opts.until) * 1000;
      const at = (l: LogLine) => EPOCH_MS + l.t;
      let lines = c.logs.filter(
        (l) => (since === undefined || at(l) >= since) && (until === undefined || at(l) <= until),
      );
      if (typeof opts.tail === 'number') lines = opts.tail > 0 ? lines.slice(-opts.tail) : [];
      const frame = (l: LogLine) => {
        const text = `${opts.timestamps ? `${new Date(at(l)).toISOString()} ` : ''}${l.text}\n`;
        if (c.tty) return Buffer.from(text);
        const payload = Buffer.from(text);
        const head = Buffer.alloc(8);
        head[0] = l.stream === 'stdout' ? 1 : 2;
        head.writeUInt32BE(payload.length, 4);
        return Buffer.concat([head, payload]);
      };
      const out = new PassThrough();
      for (const l of lines) out.write(frame(l));
      if (!opts.follow || c.state !== 'running' || opts.signal?.aborted) {
        out.end();
        return out;
      }
      const set = this.logFollowers.get(c.id) ?? new Set();
      this.logFollowers.set(c.id, set);
      const follower = (l: LogLine | undefined) => {
        if (l) {
          out.write(frame(l));
          return;
        }
        set.delete(follower);
        out.end();
      };
      set.add(follower);
      opts.signal?.addEventListener('abort', () => follower(undefined), { once: true });
      return out;
    });
  }

  tailLogs(id: string, n: number): Promise<string[]> {
    return this.call('tailLogs', id, [id, n], async () => {
      const c = this.find(id);
      return c ? c.logs.slice(-n).map((l) => l.text) : [];
    });
  }

  exec(id: string, opts: ExecOptions): Promise<Session> {
    return this.call('exec', id, [id, opts], async () => {
      const c = this.must(id);
      if (c.state !== 'running') throw conflict(`Container ${c.id} is not running`);
      const b = this.behaviourOf(c.service, c.name);
      const code = typeof b.execExitCode === 'function' ? b.execExitCode(opts.cmd) : (b.execExitCode ?? 0);
      if (!opts.detach) for (const l of b.execOutput ?? []) opts.stdout.write(`${l}\n`);
      return { done: Promise.resolve(opts.detach ? 0 : code), resize: async () => {} };
    });
  }

  async check(id: string, cmd: string[], _timeoutMs: number): Promise<boolean> {
    try {
      return await this.call('check', id, [id, cmd], async () => {
        const c = this.find(id);
        if (c?.state !== 'running') return false;
        const b = this.behaviourOf(c.service, c.name).check;
        return b === undefined ? true : typeof b === 'function' ? b(cmd) : b;
      });
    } catch {
      return false; // never throws, as the port says
    }
  }

  attachAndStart(id: string, io: SessionIO): Promise<Session> {
    return this.call('attachAndStart', id, [id, io], async () => {
      const c = this.must(id);
      const done = new Promise<number>((resolve) => {
        const set = this.logFollowers.get(c.id) ?? new Set();
        this.logFollowers.set(c.id, set);
        const follower = (l: LogLine | undefined) => {
          if (l) {
            (l.stream === 'stderr' && !io.tty ? io.stderr : io.stdout).write(`${l.text}\n`);
            return;
          }
          set.delete(follower);
          resolve(c.exitCode);
        };
        set.add(follower);
      });
      this.start(c);
      return { done, resize: async () => {} };
    });
  }

  /** The fake keeps no filesystem: every path is missing. */
  getArchive(id: string, path: string): Promise<{ stat: PathStat; tar: Readable } | undefined> {
    return this.call('getArchive', id, [id, path], async () => {
      this.must(id);
      return undefined;
    });
  }

  /** One process: the container's command, while it runs. */
  topContainer(id: string, psArgs?: string): Promise<ProcessList> {
    return this.call('topContainer', id, [id, psArgs], async () => {
      const c = this.must(id);
      if (c.state !== 'running') throw conflict(`container ${c.id} is not running`);
      return { titles: ['UID', 'PID', 'CMD'], processes: [['root', '1', c.command]] };
    });
  }

  /** Resolves with the exit code once the container is not running (at once when it is not). */
  waitContainer(id: string, signal?: AbortSignal): Promise<number> {
    return this.call('waitContainer', id, [id, signal], async () => {
      const c = this.must(id);
      if (c.state !== 'running' && c.state !== 'paused' && c.state !== 'restarting') return c.exitCode;
      return new Promise<number>((resolve) => {
        const set = this.logFollowers.get(c.id) ?? new Set();
        this.logFollowers.set(c.id, set);
        const follower = (l: LogLine | undefined) => {
          if (l) return;
          set.delete(follower);
          resolve(c.exitCode);
        };
        set.add(follower);
      });
    });
  }

  containerChanges(id: string): Promise<FsChange[]> {
    return this.call('containerChanges', id, [id], async () => [...this.must(id).changes]);
  }

  commitContainer(id: string, opts: CommitOptions): Promise<string> {
    return this.call('commitContainer', id, [id, opts], async () => {
      // a commit keeps the container's labels; LABEL changes set values over them (none can be dropped)
      const c = this.must(id);
      return this.addImage(`${opts.repo}:${opts.tag}`, { labels: { ...c.labels, ...opts.labels } });
    });
  }

  exportContainer(id: string): Promise<Readable> {
    return this.call('exportContainer', id, [id], async () => {
      this.must(id);
      return Readable.from([Buffer.alloc(1024)]); // an empty tar: two zero blocks
    });
  }

  createNetwork(spec: ResourceSpec): Promise<void> {
    const name = resourceName(spec.stack.project, spec.key, spec.stack.networks[spec.key]?.name);
    return this.call('createNetwork', name, [spec], async () => {
      const labels: Labels = {
        ...spec.stack.networks[spec.key]?.labels,
        ...composeProjectLabels(spec.stack, VERSION),
        [ComposeLabel.network]: spec.key,
        ...ownerLabels(spec.stack),
        [Label.network]: spec.key,
        [Label.version]: VERSION,
      };
      this.createResource(this.networks, 'network', name, labels, spec.stack.project);
    });
  }

  connectNetwork(network: string, containerId: string): Promise<void> {
    return this.call('connectNetwork', containerId, [network, containerId], async () => {
      const n = [...this.networks.values()].find((x) => x.name === network || x.id.startsWith(network));
      if (!n) throw notFound(`network ${network} not found`);
      const c = this.must(containerId);
      if (!c.networks.includes(n.name)) c.networks.push(n.name);
      this.changed();
    });
  }

  disconnectNetwork(network: string, containerId: string): Promise<void> {
    return this.call('disconnectNetwork', containerId, [network, containerId], async () => {
      const n = [...this.networks.values()].find((x) => x.name === network || x.id.startsWith(network));
      const c = [...this.containers.values()].find((x) => x.id === containerId || x.name === containerId);
      if (!n || !c) return;
      c.networks = c.networks.filter((x) => x !== n.name);
      this.changed();
    });
  }

  removeNetwork(idOrName: string): Promise<void> {
    return this.call('removeNetwork', idOrName, [idOrName], async () => {
      const n = [...this.networks.values()].find((x) => x.name === idOrName || x.id.startsWith(idOrName));
      if (!n) return; // gone already: the adapters treat dockerd's 404 as done
      const users = [...this.containers.values()].filter((c) => c.networks.includes(n.name));
      if (users.length)
        throw conflict(`error while removing network: network ${n.name} id ${n.id} has active endpoints`);
      this.networks.delete(n.name);
      this.changed();
    });
  }

  createVolume(spec: ResourceSpec): Promise<void> {
    const name = resourceName(spec.stack.project, spec.key, spec.stack.volumes[spec.key]?.name);
    return this.call('createVolume', name, [spec], async () => {
      const labels: Labels = {
        ...spec.stack.volumes[spec.key]?.labels,
        ...composeProjectLabels(spec.stack, VERSION),
        [ComposeLabel.volume]: spec.key,
        ...ownerLabels(spec.stack),
        [Label.volume]: spec.key,
        [Label.version]: VERSION,
      };
      this.createResource(this.volumes, 'volume', name, labels, spec.stack.project);
    });
  }

  // Locks: created atomically by name (a second create finds it), as dockerd does with container names.
  private readonly locks = new Map<string, { id: string; labels: Labels; beat?: string }>();

  async createLock(name: string, labels: Labels): Promise<string | undefined> {
    await Promise.resolve();
    if (this.locks.has(name)) return undefined;
    const id = `lock${++this.counter}`;
    this.locks.set(name, { id, labels: { ...labels } });
    return id;
  }

  async inspectLock(name: string): Promise<LockInfo | undefined> {
    await Promise.resolve();
    const l = this.locks.get(name);
    return l && { id: l.id, labels: { ...l.labels }, beat: l.beat };
  }

  async refreshLock(id: string, at: string): Promise<void> {
    await Promise.resolve();
    for (const l of this.locks.values()) if (l.id === id) l.beat = at;
  }

  /** Test knob: a lock as another berth (another host, a killed one) left it. */
  putLock(name: string, labels: Labels, beat?: string): void {
    this.locks.set(name, { id: `lock${++this.counter}`, labels: { ...labels }, beat });
  }

  async removeLock(id: string): Promise<void> {
    await Promise.resolve();
    for (const [name, l] of this.locks) if (l.id === id) this.locks.delete(name);
  }

  createLabelledVolume(name: string, labels: Labels): Promise<void> {
    return this.call('createLabelledVolume', name, [name, labels], async () => {
      if (this.volumes.has(name)) throw conflict(`volume ${name} already exists`);
      this.createResource(this.volumes, 'volume', name, { ...labels, [Label.version]: VERSION }, '');
    });
  }

  /** The fake has no filesystems: a helper container runs and exits 0 with no output. */
  runTask(spec: TaskSpec): Promise<TaskResult> {
    return this.call('runTask', spec.image, [spec], async () => {
      for (const m of spec.mounts)
        if (!this.volumes.has(m.volume)) throw new EngineError('not-found', `no such volume: ${m.volume}`);
      return { exitCode: 0, output: [] };
    });
  }

  removeVolume(name: string): Promise<void> {
    return this.call('removeVolume', name, [name], async () => {
      if (!this.volumes.has(name)) return; // gone already: the adapters treat dockerd's 404 as done
      const users = [...this.containers.values()].filter((c) => c.volumes.includes(name));
      if (users.length)
        throw conflict(`remove ${name}: volume is in use - [${users.map((c) => c.id).join(', ')}]`);
      this.volumes.delete(name);
      this.changed();
    });
  }

  /** The builder this fake claims to build with (tests of the BuildKit policy set it). */
  builderInfo: BuilderInfo = { kind: 'classic', reason: 'the fake engine has the classic builder only' };

  builder(): Promise<BuilderInfo> {
    return Promise.resolve(this.builderInfo);
  }

  buildImage(service: Service, opts: BuildOptions): Promise<string> {
    return this.call('buildImage', service.name, [service, opts], async () => {
      if (this.builderInfo.refused) throw new EngineError('invalid', this.builderInfo.refused);
      opts.onLine?.(`Step 1/1 : FROM scratch (fake build of ${service.name})`);
      const id = this.addImage(service.image, {
        // as the adapter's build query labels it (src/engine/images.ts buildQuery)
        labels: {
          ...service.build?.labels,
          [Label.service]: service.name,
          ...(opts.stack ? { [Label.stack]: opts.stack } : {}),
        },
      });
      opts.onLine?.(`Successfully built ${id.slice(7, 19)}`);
      return id;
    });
  }

  pullImage(ref: string, opts: PullOptions): Promise<string> {
    return this.call('pullImage', ref, [ref, opts], async () => {
      const src = this.pullable.get(normalizeRef(ref));
      if (!src)
        throw notFound(
          `pull access denied for ${ref.split(':')[0]}, repository does not exist or may require 'docker login'`,
        );
      opts.onEvent?.({ status: `Pulling from ${ref}` });
      opts.onEvent?.({ status: `Status: Downloaded newer image for ${normalizeRef(ref)}` });
      return this.addImage(ref, { id: src.id, labels: src.labels });
    });
  }

  tagImage(id: string, ref: string): Promise<void> {
    return this.call('tagImage', id, [id, ref], async () => {
      const img = this.findImage(id);
      if (!img) throw notFound(`No such image: ${id}`);
      this.addImage(ref, { id: img.id });
    });
  }

  removeImage(ref: string): Promise<void> {
    return this.call('removeImage', ref, [ref], async () => {
      const img = this.findImage(ref);
      if (!img) throw notFound(`No such image: ${ref}`);
      const tag = normalizeRef(ref);
      if (img.tags.includes(tag) && img.tags.length > 1) {
        img.tags = img.tags.filter((t) => t !== tag);
        return;
      }
      const user = [...this.containers.values()].find((c) => c.imageId === img.id);
      if (user)
        throw conflict(
          `conflict: unable to remove repository reference "${ref}" (must force) - container ${user.id.slice(0, 12)} is using its referenced image ${img.id.slice(7, 19)}`,
        );
      this.images.delete(img.id);
    });
  }

  saveImage(ref: string): Promise<Readable> {
    return this.call('saveImage', ref, [ref], async () => {
      if (!this.findImage(ref)) throw notFound(`No such image: ${ref}`);
      return Readable.from([Buffer.alloc(1024)]);
    });
  }

  watchContainerEvents(filter: ListFilter, onEvent: (e: ContainerEvent) => void): Promise<EventWatch> {
    return this.call('watchContainerEvents', '', [filter], async () => {
      let resolve!: () => void;
      const done = new Promise<void>((r) => {
        resolve = r;
      });
      const w: Watcher = { filter, onEvent, queue: [], flushing: false, closed: false, resolve };
      this.watchers.add(w);
      return { done, close: () => this.closeWatch(w) };
    });
  }

  // ------------------------------------------------------------------------------------------ internals

  /** Record a call, run its hooks, wait its latency, apply a planned failure, then do it. */
  private async call<T>(
    method: EngineMethod,
    target: string,
    args: unknown[],
    body: (wait: () => Promise<void>) => Promise<T>,
    /** The body calls `wait` itself (a call whose effect shows before it returns). */
    waitInside = false,
  ): Promise<T> {
    const spec = method === 'createContainer' ? (args[0] as ContainerSpec) : undefined;
    const c = CONTAINER_CALLS.has(method) ? this.find(target) : undefined;
    const rec: CallRecord = {
      seq: this.calls.length + 1,
      method,
      target,
      name: c?.name ?? spec?.name,
      service: c?.service ?? spec?.service,
      args,
      inFlight: 0,
      startedAt: 0,
    };
    this.calls.push(rec);
    for (const h of this.hooks) {
      if (!matchesFilter(rec, h.filter)) continue;
      h.count++;
      if (h.count === h.n) await h.fn(rec);
    }
    rec.startedAt = ++this.tick;
    rec.inFlight = ++this.inFlight;
    try {
      const wait = async () => {
        const l = typeof this.latency === 'function' ? this.latency(rec) : this.latency;
        if (typeof l !== 'number') await l;
        else if (l > 0) await new Promise((r) => setTimeout(r, l));
        else await turn();
      };
      if (!waitInside) await wait();
      const fault = this.faults.find(
        (f) => f.times > 0 && f.method === method && matchesTarget(rec, f.match),
      );
      if (fault) {
        fault.times--;
        throw fault.error;
      }
      return await body(wait);
    } catch (e) {
      rec.error = e;
      throw e;
    } finally {
      rec.endedAt = ++this.tick;
      this.inFlight--;
      this.changed();
    }
  }

  private changed(): void {
    for (const l of [...this.changeListeners]) l();
  }

  /** By service, then by container name; a one-off also takes the behaviours set for `<service>/oneoff`. */
  private behaviourOf(service: string, name: string): Behaviour {
    const oneoff = isOneOff(this.byName(name)?.labels) ? this.behaviours.get(`${service}/oneoff`) : undefined;
    return { ...this.behaviours.get(service), ...oneoff, ...this.behaviours.get(name) };
  }

  private find(idOrName: string): FakeContainer | undefined {
    if (!idOrName) return undefined;
    const exact = this.containers.get(idOrName) ?? this.byName(idOrName.replace(/^\//, ''));
    if (exact) return exact;
    if (idOrName.length < 4) return undefined;
    const byPrefix = [...this.containers.values()].filter((c) => c.id.startsWith(idOrName));
    return byPrefix.length === 1 ? byPrefix[0] : undefined;
  }

  private byName(name: string): FakeContainer | undefined {
    for (const c of this.containers.values()) if (c.name === name) return c;
    return undefined;
  }

  private must(idOrName: string): FakeContainer {
    const c = this.find(idOrName);
    if (!c) throw notFound(`No such container: ${idOrName}`);
    return c;
  }

  private findImage(ref: string): FakeImage | undefined {
    const byId = this.images.get(ref) ?? this.images.get(`sha256:${ref}`);
    if (byId) return byId;
    const tag = normalizeRef(ref);
    for (const img of this.images.values()) if (img.tags.includes(tag)) return img;
    if (/^(sha256:)?[0-9a-f]{6,}$/.test(ref)) {
      const id = ref.startsWith('sha256:') ? ref : `sha256:${ref}`;
      for (const img of this.images.values()) if (img.id.startsWith(id)) return img;
    }
    return undefined;
  }

  private untag(tag: string): void {
    for (const img of this.images.values()) img.tags = img.tags.filter((t) => t !== tag);
  }

  private createResource(
    into: Map<string, FakeResource>,
    kind: 'network' | 'volume',
    name: string,
    labels: Labels,
    project: string,
  ): void {
    const have = into.get(name);
    if (have) {
      if (have.labels[Label.project] === project) return; // ours already: the port's convention
      throw conflict(
        kind === 'network'
          ? `network with name ${name} already exists`
          : `volume ${name} exists and is not owned by project ${project}`,
      );
    }
    into.set(name, { id: hex(`${kind}:${name}:${this.counter++}`), name, labels });
    this.changed();
  }

  private start(c: FakeContainer): void {
    if (c.state === 'running' || c.state === 'restarting') return; // already started (port convention)
    if (c.state === 'paused') throw conflict(`cannot start a paused container, try unpause instead`);
    if (c.state === 'removing' || c.state === 'dead')
      throw conflict(`container ${c.id} is marked for removal and cannot be started`);
    for (const j of c.joins) {
      const other = this.byName(j);
      if (!other) throw notFound(`No such container: ${j}`);
      if (other.state !== 'running')
        throw conflict(`cannot join network namespace of a non running container: ${j}`);
    }
    const b = this.behaviourOf(c.service, c.name);
    if (b.startFails !== undefined) {
      c.exitCode = 127;
      this.changed();
      throw err('failed', b.startFails, 500);
    }
    const bound: PublishedPort[] = [];
    for (const p of c.ports) {
      const hostPort = p.published ? Number(p.published.split('-')[0]) : this.nextHostPort++;
      const clash = [...this.containers.values()].some(
        (o) =>
          o !== c &&
          o.bound.some(
            (x) =>
              x.hostPort === hostPort &&
              x.protocol === p.protocol &&
              (x.hostIp === p.host_ip || x.hostIp === '0.0.0.0' || p.host_ip === '0.0.0.0'),
          ),
      );
      if (clash)
        throw err(
          'failed',
          `driver failed programming external connectivity on endpoint ${c.name}: Bind for ${p.host_ip}:${hostPort} failed: port is already allocated`,
          500,
        );
      const any = (ip: string) => ip === '0.0.0.0' || ip === '';
      if (
        p.protocol === 'tcp' &&
        this.takenHostPorts.some(
          (t) => t.port === hostPort && (t.hostIp === p.host_ip || any(t.hostIp) || any(p.host_ip)),
        )
      )
        throw err(
          'failed',
          `driver failed programming external connectivity on endpoint ${c.name} (${hex(c.id)}): Error starting userland proxy: listen tcp4 ${p.host_ip}:${hostPort}: bind: address already in use`,
          500,
        );
      bound.push({ hostIp: p.host_ip, hostPort, target: p.target, protocol: p.protocol });
    }
    c.bound = bound;
    c.state = 'running';
    c.exitCode = 0;
    c.startedAt = EPOCH_MS + this.clock.now();
    c.generation++;
    c.checks = 0;
    c.failing = 0;
    c.health = c.hasHealthcheck ? 'starting' : undefined;
    this.emit(c, 'start');
    if (b.logsOnStart) this.log(c, b.logsOnStart);
    const gen = c.generation;
    if (c.hasHealthcheck) this.scheduleCheck(c, gen);
    if (b.exitCode !== undefined)
      this.clock.after(b.exitAfterMs ?? 1, () => {
        if (c.generation !== gen || c.state !== 'running') return;
        if (b.logsOnExit) this.log(c, b.logsOnExit);
        this.exit(c, b.exitCode!);
      });
  }

  private scheduleCheck(c: FakeContainer, gen: number): void {
    const hc = c.healthcheck;
    const interval = hc?.intervalMs ?? 30_000;
    const startPeriod = hc?.startPeriodMs ?? 0;
    const retries = hc?.retries ?? 3;
    // during the start period the engine checks at start_interval (API ≥ 1.44)
    const first = hc?.startIntervalMs ?? interval;
    this.clock.after(c.checks === 0 ? first : interval, () => {
      if (c.generation !== gen || (c.state !== 'running' && c.state !== 'paused')) return;
      if (c.state === 'running') {
        c.checks++;
        const b = this.behaviourOf(c.service, c.name);
        const pass = c.checks >= (b.healthyAfter ?? 1);
        const before = c.health;
        if (pass) {
          c.failing = 0;
          c.health = 'healthy';
        } else if (
          EPOCH_MS + this.clock.now() - (c.startedAt ?? 0) >= startPeriod ||
          c.health === 'healthy'
        ) {
          c.failing++;
          if (c.failing >= retries) c.health = 'unhealthy';
        }
        if (c.health !== before) this.emit(c, `health_status: ${c.health}`);
      }
      this.scheduleCheck(c, gen);
    });
  }

  /** The process ends: by itself (exit), or because it was stopped or killed (halt). */
  private exit(c: FakeContainer, code: number): void {
    this.halt(c, code);
    const policy = c.restartPolicy ?? 'no';
    const max = /^on-failure:(\d+)$/.exec(policy)?.[1];
    const again =
      policy === 'always' ||
      policy === 'unless-stopped' ||
      (policy.startsWith('on-failure') && code !== 0 && (max === undefined || c.restarts < Number(max)));
    if (again) {
      // dockerd restarts it after a back-off (100 ms, doubling); `restarting` until then
      c.state = 'restarting';
      const gen = c.generation;
      this.clock.after(100 * 2 ** Math.min(c.restarts, 10), () => {
        if (c.generation !== gen || c.state !== 'restarting') return;
        c.restarts++;
        c.state = 'exited';
        this.start(c);
      });
      return;
    }
    if (c.autoRemove) {
      c.state = 'removing';
      queueMicrotask(() => {
        this.containers.delete(c.id);
        this.emit(c, 'destroy');
      });
    }
  }

  private halt(c: FakeContainer, code: number): void {
    c.generation++;
    c.state = 'exited';
    c.exitCode = code;
    c.finishedAt = EPOCH_MS + this.clock.now();
    c.health = undefined;
    c.bound = [];
    this.emit(c, 'die', { exitCode: String(code) });
    for (const f of this.logFollowers.get(c.id) ?? []) f(undefined);
  }

  private stop(c: FakeContainer): void {
    if (c.state === 'removing') throw conflict(`cannot stop container ${c.id}: removal in progress`);
    if (c.state !== 'running' && c.state !== 'paused' && c.state !== 'restarting') return; // already stopped
    if (c.state === 'restarting') {
      // no process to signal: the pending restart is cancelled
      c.generation++;
      c.state = 'exited';
      this.emit(c, 'stop');
      return;
    }
    this.emit(c, 'kill', { signal: '15' });
    this.halt(c, this.behaviourOf(c.service, c.name).stopExitCode ?? 0);
    this.emit(c, 'stop');
  }

  private log(c: FakeContainer, lines: string[], stream: 'stdout' | 'stderr' = 'stdout'): void {
    for (const text of lines) {
      const l: LogLine = { t: this.clock.now(), stream, text };
      c.logs.push(l);
      for (const f of this.logFollowers.get(c.id) ?? []) f(l);
    }
    this.changed();
  }

  private emit(c: FakeContainer, action: string, extra: Labels = {}): void {
    const e: ContainerEvent = {
      action,
      id: c.id,
      name: c.name,
      service: c.labels[Label.service],
      replica: c.labels[Label.replica] === undefined ? undefined : replicaOf(c.labels),
      timeNano: BigInt(EPOCH_MS + this.clock.now()) * 1_000_000n + BigInt(this.events.length),
      attributes: { ...c.labels, name: c.name, image: c.image, ...extra },
    };
    this.events.push(e);
    for (const w of this.watchers) {
      if (w.closed || !matchesSelectors(c.labels, w.filter.labels)) continue;
      w.queue.push(e);
      this.flush(w);
    }
    this.changed();
  }

  /** Deliver a watcher's events in order, after the call that caused them has returned (as a stream would). */
  private flush(w: Watcher): void {
    if (w.flushing) return;
    w.flushing = true;
    queueMicrotask(() => {
      w.flushing = false;
      while (w.queue.length && !w.closed) w.onEvent(w.queue.shift()!);
    });
  }

  private closeWatch(w: Watcher): void {
    if (w.closed) return;
    w.closed = true;
    this.watchers.delete(w);
    w.resolve();
  }

  private observe(c: FakeContainer): ObservedContainer {
    const now = EPOCH_MS + this.clock.now();
    return {
      id: c.id,
      name: c.name,
      project: c.labels[Label.project] ?? '',
      service: c.labels[Label.service] ?? '',
      replica: replicaOf(c.labels),
      hash: c.labels[Label.configHash] ?? '',
      state: c.state,
      status: statusOf(c, now),
      health: c.state === 'running' ? c.health : undefined,
      image: c.image,
      imageId: c.imageId,
      command: c.command,
      created: Math.floor(c.created / 1000),
      networks: [...c.networks],
      ports:
        c.state === 'running' || c.state === 'paused'
          ? c.bound.map((p) => ({ ...p }))
          : c.ports
              .filter((p) => p.published)
              .map((p) => ({
                hostIp: p.host_ip,
                hostPort: Number(p.published!.split('-')[0]),
                target: p.target,
                protocol: p.protocol,
              })),
      labels: { ...c.labels },
      oneoff: c.labels[Label.oneoff] !== undefined,
    };
  }

  private inspect(c: FakeContainer): InspectedContainer {
    return {
      ...this.observe(c),
      // dockerd keeps Running true while paused and during a restart back-off
      running: c.state === 'running' || c.state === 'paused' || c.state === 'restarting',
      restarting: c.state === 'restarting',
      exitCode: c.exitCode,
      hasHealthcheck: c.hasHealthcheck,
      startedAt: c.startedAt,
      restarts: c.restarts,
      tty: c.tty,
    };
  }

  private observeNetwork(n: FakeResource): ObservedNetwork {
    return {
      id: n.id,
      name: n.name,
      labels: { ...n.labels },
      containers: [...this.containers.values()].filter((c) => c.networks.includes(n.name)).map((c) => c.id),
    };
  }
}

function observeImage(i: FakeImage): ObservedImage {
  return { id: i.id, tags: [...i.tags], labels: { ...i.labels }, sizeBytes: i.sizeBytes, created: i.created };
}

function matchesFilter(c: CallRecord, filter: CallFilter | undefined): boolean {
  if (!filter) return true;
  return typeof filter === 'function' ? filter(c) : filter.includes(c.method);
}

function matchesTarget(c: CallRecord, match: TargetMatch): boolean {
  if (match === undefined) return true;
  if (typeof match === 'function') return match(c);
  return (
    c.target === match ||
    c.name === match ||
    c.service === match ||
    (match.length >= 4 && c.target.startsWith(match))
  );
}

/** One turn of the event loop: what a call to a real engine costs at least. */
const turn = () => new Promise<void>((r) => setImmediate(r));
