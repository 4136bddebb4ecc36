// The typed, normalized stack: what the rest of the pipeline (graph, plan, run) consumes. Everything here is
// already interpolated, merged, validated and in long form, so downstream code never re-parses Compose syntax.
import type { SourcePos } from '../errors.js';

export type DependencyCondition = 'service_started' | 'service_healthy' | 'service_completed_successfully';

export interface Dependency {
  condition: DependencyCondition;
  /** `required: false` in Compose: a missing or disabled dependency is not an error. */
  required: boolean;
  /** Restart this service when the dependency is recreated (Compose `restart: true`). */
  restart: boolean;
  /** Edges implied by links / volumes_from / network_mode: service:x are marked so messages can say why. */
  implicit?: 'links' | 'volumes_from' | 'network_mode' | 'ipc' | 'pid';
}

export interface PortSpec {
  /** Container port. */
  target: number;
  /** Host port as written ("8080" or a range "8080-8081"); undefined means an ephemeral port. */
  published?: string;
  /** Host IP; berth defaults to 127.0.0.1 when the file gives none (a dev stack stays off the LAN). */
  host_ip: string;
  protocol: 'tcp' | 'udp' | 'sctp';
  mode?: 'host' | 'ingress';
  name?: string;
  app_protocol?: string;
}

export type MountType = 'bind' | 'volume' | 'tmpfs' | 'npipe' | 'cluster' | 'image';

export interface MountSpec {
  type: MountType;
  /** Absolute host path (bind), volume key as declared at top level (volume), undefined for anonymous/tmpfs. */
  source?: string;
  target: string;
  read_only: boolean;
  bind?: { create_host_path?: boolean; propagation?: string; selinux?: 'z' | 'Z' };
  volume?: { nocopy?: boolean; subpath?: string };
  tmpfs?: { size?: number; mode?: number };
  /** `type: image`: the image reference is `source`; `subpath` a path inside it. */
  image?: { subpath?: string };
  consistency?: string;
}

/**
 * A secret or config whose value is not a file on the host (`environment:` or `content:`): Compose copies it
 * into the container after create and before start, and so does berth (a tar through the engine's archive API).
 */
export interface InjectedFile {
  kind: 'secret' | 'config';
  /** Key under the top-level `secrets:` / `configs:`. */
  name: string;
  /** Absolute path in the container. */
  target: string;
  content: string;
  /** `environment:` names a variable that is not set: `up` refuses to create the container. */
  unset?: { variable: string; pos?: SourcePos; frame?: string };
  /** Permission bits (`0o444` unless the file says otherwise). */
  mode: number;
  uid: number;
  gid: number;
}

/** A key the engine only honours from some API version on; checked against the engine before anything is created. */
export interface ApiRequirement {
  /** As the user reads it: `services.app.networks.front.gw_priority`. */
  key: string;
  /** Minimum engine API version, e.g. `1.48`. */
  api: string;
  /** The Docker Engine release that brought it, for the message. */
  engine: string;
  /** `file:line:col` and a code frame, when known. */
  pos?: SourcePos;
  frame?: string;
}

export interface Healthcheck {
  /** Engine form: ['CMD', ...], ['CMD-SHELL', cmd] or ['NONE']. */
  test: string[];
  intervalMs?: number;
  timeoutMs?: number;
  startPeriodMs?: number;
  startIntervalMs?: number;
  retries?: number;
  disable: boolean;
}

export interface BuildSpec {
  /** Absolute path of the build context. */
  context: string;
  /** Dockerfile path relative to the context (as the engine wants it). */
  dockerfile: string;
  dockerfile_inline?: string;
  args: Record<string, string>;
  target?: string;
  labels: Record<string, string>;
  network?: string;
  no_cache?: boolean;
  pull?: boolean;
  shm_size?: number;
  extra_hosts?: string[];
  tags?: string[];
  cache_from?: string[];
  platforms?: string[];
  /** Named contexts: absolute paths, or `docker-image://…`, `service:NAME`, URLs as written. */
  additional_contexts?: Record<string, string>;
  /** As written: `default`, `ID=path` (ssh agents or keys to forward). */
  ssh?: string[];
  /**
   * Build secrets; the id a Dockerfile mounts is `target`, else `source` (as Compose). `file` (absolute) or
   * `environment` (the variable, and its value when set) is where the top-level secret comes from; neither:
   * a secret BuildKit cannot be given (`content:`, `external:`).
   */
  secrets?: Array<{ source: string; target?: string; file?: string; environment?: string; value?: string }>;
  entitlements?: string[];
  privileged?: boolean;
  /** Services whose images this build uses (`additional_contexts: {x: service:NAME}`): built first. */
  after?: string[];
  /** The image reference of each service in `after` (its `image:`, or the tag berth builds it as). */
  serviceImages?: Record<string, string>;
  /** Where each named context's value is written, for errors about it. */
  contextsAt?: Record<string, SourcePos>;
  /**
   * Keys of this build the classic builder cannot honour (`build.ssh`, `build.secrets`, `build.entitlements`,
   * `build.privileged`), each with where it is written (`file:line`).
   */
  needsBuildKit?: Array<{ key: string; at: string }>;
}

export type WatchAction = 'sync' | 'sync+restart' | 'sync+exec' | 'rebuild' | 'restart';

/** A command run in the service's containers after a `sync+exec` (Compose's service hook shape). */
export interface WatchExec {
  command: string[];
  user?: string;
  privileged: boolean;
  working_dir?: string;
  environment: Record<string, string>;
}

/** One `develop.watch` rule: what a change under `path` does to the service (`berth watch`, `up --watch`). */
export interface WatchRule {
  /** Absolute host path (file or folder) watched. */
  path: string;
  action: WatchAction;
  /** Absolute container path the files of `path` are copied to (the sync actions). */
  target?: string;
  /** Patterns (`.dockerignore` syntax) relative to `path` whose changes are ignored. */
  ignore: string[];
  /** When given, only changes matching these patterns (relative to `path`) count. */
  include?: string[];
  /** Copy everything under `path` once when watching starts. */
  initial_sync: boolean;
  exec?: WatchExec;
  /** Where the rule is written (and its code frame), for messages. */
  pos?: SourcePos;
  frame?: string;
}

export interface ServiceNetwork {
  aliases: string[];
  ipv4_address?: string;
  ipv6_address?: string;
  priority?: number;
  mac_address?: string;
  /** Link-local addresses (169.254.0.0/16, fe80::/10) of the endpoint. */
  link_local_ips?: string[];
  /** Name of the interface inside the container (engine API 1.49+). */
  interface_name?: string;
  /** Which endpoint gives the default gateway (engine API 1.48+). */
  gw_priority?: number;
  driver_opts?: Record<string, string>;
}

export interface Resources {
  /** Nano CPUs as the engine wants them (1 CPU = 1e9). */
  nanoCpus?: number;
  memoryBytes?: number;
  memoryReservationBytes?: number;
  pidsLimit?: number;
  shmSizeBytes?: number;
  cpuShares?: number;
  cpuset?: string;
  /** `deploy.resources.reservations.generic_resources`: swarm-only, kept for `config`, never sent to the engine. */
  genericResources?: Array<{ kind: string; value: number }>;
}

/** A lifecycle hook (`post_start`, `pre_stop`): a command exec'd in the service's container. */
export interface Hook {
  command: string[];
  user?: string;
  privileged: boolean;
  working_dir?: string;
  /** Over the service's environment, which the exec inherits from the container. */
  environment: Record<string, string>;
}

/** A `pre_start` hook: a one-off container of the service (its volumes, networks, environment) run to its end. */
export interface PreStartHook extends Hook {
  /** Image to run the hook in; the service's image when unset. */
  image?: string;
}

/** `provider:`: a service that is no container but a binary Compose (and berth) runs with `compose up`/`down`. */
export interface ProviderSpec {
  /** `docker-<type>` or `<type>` on PATH. */
  type: string;
  /** Passed as `--key=value`, once per value. */
  options: Record<string, string[]>;
  /** `file:line:col` and frame of `provider.type`, for the "not found" error. */
  pos?: SourcePos;
  frame?: string;
}

export interface Service {
  name: string;
  /** Image reference; for a build-only service, the name berth tags the build with (`<project>-<service>`). */
  image: string;
  build?: BuildSpec;
  pull_policy: 'always' | 'never' | 'missing' | 'build' | 'if_not_present' | 'daily' | 'weekly';
  command?: string[];
  entrypoint?: string[];
  environment: Record<string, string>;
  ports: PortSpec[];
  expose: string[];
  volumes: MountSpec[];
  volumes_from: string[];
  tmpfs: string[];
  depends_on: Record<string, Dependency>;
  healthcheck?: Healthcheck;
  /** Network key (as declared at top level) → per-service options. Empty when network_mode is set. */
  networks: Record<string, ServiceNetwork>;
  network_mode?: string;
  ipc?: string;
  pid?: string;
  links: string[];
  /** deploy.replicas / scale; 1 by default. */
  replicas: number;
  labels: Record<string, string>;
  user?: string;
  working_dir?: string;
  hostname?: string;
  domainname?: string;
  restart?: string;
  init?: boolean;
  stop_signal?: string;
  stopGracePeriodMs?: number;
  extra_hosts: string[];
  dns: string[];
  cap_add: string[];
  cap_drop: string[];
  privileged: boolean;
  read_only: boolean;
  tty: boolean;
  stdin_open: boolean;
  security_opt: string[];
  sysctls: Record<string, string>;
  ulimits: Record<string, { soft: number; hard: number }>;
  devices: string[];
  logging?: { driver?: string; options: Record<string, string> };
  platform?: string;
  container_name?: string;
  profiles: string[];
  resources: Resources;
  /** OCI runtime (`runtime:`), e.g. a Wasm shim; undefined = the engine default. */
  runtime?: string;
  group_add: string[];
  dns_search: string[];
  dns_opt: string[];
  mac_address?: string;
  cgroup_parent?: string;
  device_cgroup_rules?: string[];
  /** `container[:alias]` of containers outside the stack. */
  external_links?: string[];
  uts?: string;
  storage_opt?: Record<string, string>;
  /** `develop.watch` rules, in file order (none when the service has no `develop:`). */
  watch?: WatchRule[];
  /** Secrets and configs copied into each new container before it starts. */
  files?: InjectedFile[];
  /** Run in each container right after it starts; a failure fails `up`. */
  post_start?: Hook[];
  /** Run in each container before berth stops it (`down`, `stop`, recreate). */
  pre_stop?: Hook[];
  /** Run in one-off containers of the service, in order, before its new containers start. */
  pre_start?: PreStartHook[];
  /** A provider service: no containers (replicas 0); its binary runs instead. */
  provider?: ProviderSpec;
  /** Keys that need a newer engine API than some engines speak; checked before `up` creates anything. */
  needsApi?: ApiRequirement[];
  /** `file:line` of keys whose engine refusal berth translates into a message naming the key. */
  keyAt?: Record<string, string>;
  /** Where the service was declared (its key), for messages. */
  pos?: SourcePos;
  /**
   * Where each reference to another service is written, keyed `<kind>:<service>` (kind: depends_on, links,
   * volumes_from, network_mode, ipc, pid), so the graph can point at the exact line of a bad reference.
   */
  refs?: Record<string, SourceRef>;
}

export interface SourceRef {
  pos: SourcePos;
  frame?: string;
}

export interface NetworkSpec {
  /** Engine name: `<project>_<key>` unless `name:` says otherwise. */
  name: string;
  driver?: string;
  driver_opts: Record<string, string>;
  external: boolean;
  internal: boolean;
  attachable: boolean;
  enable_ipv6: boolean;
  ipam?: {
    driver?: string;
    config: Array<{
      subnet?: string;
      gateway?: string;
      ip_range?: string;
      aux_addresses?: Record<string, string>;
    }>;
    options?: Record<string, string>;
  };
  labels: Record<string, string>;
}

export interface VolumeSpec {
  /** Engine name: `<project>_<key>` unless `name:` says otherwise. */
  name: string;
  driver?: string;
  driver_opts: Record<string, string>;
  external: boolean;
  labels: Record<string, string>;
}

/**
 * Where the client router sends a client's requests: `x-berth: {web: {service, port}}`, else the service that
 * publishes the stack's first port, on that port's container side.
 */
export interface WebEntry {
  service: string;
  /** Container port. */
  port: number;
}

export interface Stack {
  /** Stack name: `name:` in the file or the directory name, normalized as Compose does. */
  name: string;
  /** Active client, if any (per-client overlay). */
  client?: string;
  /** Engine project: `<name>` or `<name>-<client>`. */
  project: string;
  /** Directory of the first stack file; relative paths resolve against it. */
  workingDir: string;
  /** Absolute paths of every file that went into this stack, in merge order (overlays last). */
  files: string[];
  /** Services in file order (object key order is preserved). Services outside active profiles are left out. */
  services: Record<string, Service>;
  /** Services declared but disabled by profiles: kept so `required: false` and messages can tell them apart. */
  disabledServices: string[];
  /** Every profile named in the file (enabled or not), sorted: what `config --profiles` lists. */
  profiles?: string[];
  networks: Record<string, NetworkSpec>;
  volumes: Record<string, VolumeSpec>;
  /** The stack's web entry, when it has one (no `x-berth.web` and no published port: none). */
  web?: WebEntry;
  /** Warnings collected while loading (unset variables, obsolete `version:`), shown once by the CLI. */
  warnings: string[];
}

/**
 * A service with nothing but its name and image: every list and map empty, one replica, the default network.
 * What the normalizer starts from for berth's own services (the client router) and what unit tests build on.
 */
export function plainService(name: string, image: string): Service {
  return {
    name,
    image,
    pull_policy: 'missing',
    environment: {},
    ports: [],
    expose: [],
    volumes: [],
    volumes_from: [],
    tmpfs: [],
    depends_on: {},
    networks: { default: { aliases: [] } },
    links: [],
    replicas: 1,
    labels: {},
    extra_hosts: [],
    dns: [],
    cap_add: [],
    cap_drop: [],
    privileged: false,
    read_only: false,
    tty: false,
    stdin_open: false,
    security_opt: [],
    sysctls: {},
    ulimits: {},
    devices: [],
    profiles: [],
    resources: {},
    group_add: [],
    dns_search: [],
    dns_opt: [],
  };
}

/** The `default` network Compose gives a project whose file declares none: `<project>_default`, bridge, plain. */
export function defaultNetwork(project: string): Stack['networks'][string] {
  return {
    name: `${project}_default`,
    driver_opts: {},
    external: false,
    internal: false,
    attachable: false,
    enable_ipv6: false,
    labels: {},
  };
}
