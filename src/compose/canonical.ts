// The canonical long form of a Stack, shaped like `docker compose config --format json` prints it (compose-go's
// types and JSON tags), with keys in a stable order so the output can be diffed and tested. What the typed
// Stack does not keep (extensions, secrets and configs as written, annotations, where a limit was written)
// comes from the merged Compose model the loader records for the stack.
import { homedir } from 'node:os';
import path from 'node:path';
import type {
  Healthcheck,
  MountSpec,
  NetworkSpec,
  PortSpec,
  Service,
  Stack,
  VolumeSpec,
} from '../model/stack.js';
import { parseBytes } from './units.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

/** The merged, interpolated Compose model each loaded stack came from (set by the loader). */
export const composeModels = new WeakMap<Stack, Obj>();

/** Where each key of that model was written (set by the loader): swarm translation reports keys at their line. */
export const composeSources = new WeakMap<Stack, { locate(path: Array<string | number>): { pos: { file: string; line: number; col: number } } | undefined }>();

export interface JsonOptions {
  /**
   * false: `--no-env-resolution`, the environment as written (valueless entries as null) and `env_file`
   * kept. Default: env files folded into `environment` and dropped, as `docker compose config` prints.
   */
  resolveEnv?: boolean;
  /** Where relative paths of the model resolve (the stack's working directory). */
  workingDir?: string;
}

const absolute = (p: string, dir = '.') =>
  p === '~' || p.startsWith('~/') ? path.join(homedir(), p.slice(1)) : path.resolve(dir, p);

/** Go duration text (`1m30s`, `500ms`), as Compose prints durations. */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  if (ms < 1000) return `${ms}ms`;
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = (ms % 60_000) / 1000;
  return `${h ? `${h}h` : ''}${h || m ? `${m}m` : ''}${s}s`;
}

const clean = (o: Record<string, Json | undefined>): { [k: string]: Json } => {
  const out: { [k: string]: Json } = {};
  for (const k of Object.keys(o).sort()) {
    const v = o[k];
    if (v !== undefined) out[k] = v;
  }
  return out;
};

const nonEmpty = <T>(a: T[]): T[] | undefined => (a.length > 0 ? a : undefined);
/** compose-go prints byte sizes (UnitBytes) as a quoted number of bytes. */
const unitBytes = (n: number | undefined): string | undefined => (n === undefined ? undefined : String(n));
/** A byte size as written in the model, in Compose's printed form. */
const rawBytes = (v: unknown): string | undefined => (v == null ? undefined : unitBytes(parseBytes(v)));
const rawNumber = (v: unknown): number | undefined =>
  v == null || Number.isNaN(Number(v)) ? undefined : Number(v);
/** Extensions (`x-…`) as written: Compose prints them inline. */
const extensions = (o: unknown): { [k: string]: Json } =>
  isObj(o)
    ? Object.fromEntries(Object.entries(o).filter(([k]) => k.startsWith('x-')) as [string, Json][])
    : {};
/** `KEY=VALUE` lists and maps alike, as a map of strings (or null for a valueless entry). */
function kvMap(v: unknown): { [k: string]: string | null } {
  const out: { [k: string]: string | null } = {};
  if (isObj(v))
    for (const [k, x] of Object.entries(v))
      out[k] = x == null ? null : typeof x === 'object' ? JSON.stringify(x) : String(x);
  else if (Array.isArray(v))
    for (const item of v) {
      const s = String(item);
      const i = s.indexOf('=');
      if (i < 0) out[s] = null;
      else out[s.slice(0, i)] = s.slice(i + 1);
    }
  return out;
}
const sortedMap = <T>(m: { [k: string]: T }): { [k: string]: T } | undefined =>
  Object.keys(m).length
    ? Object.fromEntries(
        Object.keys(m)
          .sort()
          .map((k) => [k, m[k]!]),
      )
    : undefined;
const asList = (v: unknown): unknown[] => (Array.isArray(v) ? v : v == null ? [] : [v]);
const nonEmptyMap = (m: Record<string, string>): Record<string, string> | undefined =>
  Object.keys(m).length > 0 ? mapSorted(m, (v) => v) : undefined;
/** A map with its keys sorted, each value turned into its canonical form. */
const mapSorted = <T, U>(m: Record<string, T>, f: (v: T) => U): Record<string, U> =>
  Object.fromEntries(
    Object.keys(m)
      .sort()
      .map((k) => [k, f(m[k]!)]),
  );

function port(p: PortSpec): Json {
  return clean({
    mode: p.mode ?? 'ingress',
    target: p.target,
    published: p.published,
    host_ip: p.host_ip,
    protocol: p.protocol,
    name: p.name,
    app_protocol: p.app_protocol,
  });
}

function mount(m: MountSpec): Json {
  return clean({
    type: m.type,
    source: m.source,
    target: m.target,
    read_only: m.read_only || undefined,
    bind: m.bind
      ? clean({
          create_host_path: m.bind.create_host_path,
          propagation: m.bind.propagation,
          selinux: m.bind.selinux,
        })
      : undefined,
    volume: m.volume ? clean({ nocopy: m.volume.nocopy, subpath: m.volume.subpath }) : undefined,
    tmpfs: m.tmpfs ? clean({ size: unitBytes(m.tmpfs.size), mode: m.tmpfs.mode }) : undefined,
    image: m.image ? clean({ subpath: m.image.subpath }) : undefined,
    consistency: m.consistency,
  });
}

function healthcheck(h: Healthcheck): Json {
  if (h.disable) return { disable: true };
  return clean({
    test: h.test,
    interval: h.intervalMs === undefined ? undefined : formatDuration(h.intervalMs),
    timeout: h.timeoutMs === undefined ? undefined : formatDuration(h.timeoutMs),
    start_period: h.startPeriodMs === undefined ? undefined : formatDuration(h.startPeriodMs),
    start_interval: h.startIntervalMs === undefined ? undefined : formatDuration(h.startIntervalMs),
    retries: h.retries,
  });
}

/** A service's `secrets:` / `configs:` in Compose's long form: references, not the mounts berth makes of them. */
function fileRefs(v: unknown): Json[] | undefined {
  const out = asList(v).map((r) => {
    const o: Obj = isObj(r) ? r : { source: r };
    return clean({
      source: o.source == null ? undefined : String(o.source),
      target: o.target == null ? undefined : String(o.target),
      uid: o.uid == null ? undefined : String(o.uid),
      gid: o.gid == null ? undefined : String(o.gid),
      mode: rawNumber(o.mode),
      ...extensions(o),
    });
  });
  return nonEmpty(out);
}

/** `deploy` as written, with Compose's printed forms for sizes and numbers. */
function deployJson(d: unknown): Json | undefined {
  if (!isObj(d)) return undefined;
  const resource = (r: unknown) =>
    isObj(r)
      ? clean({
          ...(r as { [k: string]: Json }),
          cpus: rawNumber(r.cpus),
          memory: rawBytes(r.memory),
          pids: rawNumber(r.pids),
        })
      : undefined;
  const res = isObj(d.resources) ? d.resources : undefined;
  const out = clean({
    ...(d as { [k: string]: Json }),
    replicas: rawNumber(d.replicas),
    labels: d.labels == null ? undefined : (sortedMap(kvMap(d.labels)) as Json),
    resources: res
      ? clean({
          ...(res as { [k: string]: Json }),
          limits: resource(res.limits),
          reservations: resource(res.reservations),
        })
      : undefined,
  });
  return Object.keys(out).length ? out : undefined;
}

export function serviceJson(s: Service, raw: Obj = {}, opts: JsonOptions = {}): Json {
  const r = s.resources;
  const resolveEnv = opts.resolveEnv !== false;
  // Volumes as written: the mounts berth adds for secrets and configs are printed as `secrets`/`configs`.
  const written = new Set(
    asList(raw.volumes).map((v) => (isObj(v) ? String(v.target) : (String(v).split(':')[1] ?? String(v)))),
  );
  const volumes =
    isObj(raw) && Object.keys(raw).length ? s.volumes.filter((m) => written.has(m.target)) : s.volumes;
  const environment: { [k: string]: string | null } = resolveEnv
    ? { ...s.environment }
    : kvMap(raw.environment);
  if (resolveEnv) {
    // `- KEY` with nothing to take it from stays in Compose's output, valueless
    for (const [k, v] of Object.entries(kvMap(raw.environment)))
      if (v === null && !(k in environment)) environment[k] = null;
  }
  const envFiles = resolveEnv
    ? undefined
    : nonEmpty(
        asList(raw.env_file).map((e) => {
          const o: Obj = isObj(e) ? e : { path: e };
          return clean({
            path: absolute(String(o.path), opts.workingDir),
            required: o.required === false || o.required === 'false' ? false : undefined,
            format: o.format == null ? undefined : String(o.format),
          });
        }),
      );
  return clean({
    ...extensions(raw),
    annotations: raw.annotations == null ? undefined : (sortedMap(kvMap(raw.annotations)) as Json),
    build: s.build
      ? clean({
          context: s.build.context,
          dockerfile: s.build.dockerfile,
          dockerfile_inline: s.build.dockerfile_inline,
          args: nonEmptyMap(s.build.args),
          target: s.build.target,
          labels: nonEmptyMap(s.build.labels),
          network: s.build.network,
          no_cache: s.build.no_cache,
          pull: s.build.pull,
          shm_size: unitBytes(s.build.shm_size),
          extra_hosts: s.build.extra_hosts && nonEmpty(s.build.extra_hosts),
          tags: s.build.tags && nonEmpty(s.build.tags),
          cache_from: s.build.cache_from && nonEmpty(s.build.cache_from),
          platforms: s.build.platforms && nonEmpty(s.build.platforms),
        })
      : undefined,
    cap_add: nonEmpty(s.cap_add),
    cap_drop: nonEmpty(s.cap_drop),
    cgroup_parent: s.cgroup_parent,
    // compose-go prints these two even when unset
    command: s.command ?? null,
    configs: fileRefs(raw.configs),
    container_name: s.container_name,
    cpu_shares: r.cpuShares,
    cpus: rawNumber(raw.cpus),
    cpuset: r.cpuset,
    depends_on:
      Object.keys(s.depends_on).length > 0
        ? Object.fromEntries(
            Object.entries(s.depends_on).map(([k, d]) => [
              k,
              clean({ condition: d.condition, required: d.required, restart: d.restart || undefined }),
            ]),
          )
        : undefined,
    deploy: deployJson(raw.deploy),
    device_cgroup_rules: s.device_cgroup_rules && nonEmpty(s.device_cgroup_rules),
    devices: nonEmpty(s.devices),
    dns: nonEmpty(s.dns),
    dns_opt: nonEmpty(s.dns_opt),
    dns_search: nonEmpty(s.dns_search),
    domainname: s.domainname,
    entrypoint: s.entrypoint ?? null,
    env_file: envFiles,
    environment: sortedMap(environment),
    expose: nonEmpty(s.expose),
    external_links: s.external_links && nonEmpty(s.external_links),
    extra_hosts: nonEmpty(s.extra_hosts),
    group_add: nonEmpty(s.group_add),
    healthcheck: s.healthcheck ? healthcheck(s.healthcheck) : undefined,
    hostname: s.hostname,
    image: s.image,
    init: s.init,
    ipc: s.ipc,
    labels: nonEmptyMap(s.labels),
    links: nonEmpty(s.links),
    logging: s.logging
      ? clean({ driver: s.logging.driver, options: nonEmptyMap(s.logging.options) })
      : undefined,
    mac_address: s.mac_address,
    mem_limit: rawBytes(raw.mem_limit),
    mem_reservation: rawBytes(raw.mem_reservation),
    network_mode: s.network_mode,
    networks:
      Object.keys(s.networks).length > 0
        ? Object.fromEntries(
            Object.entries(s.networks).map(([k, n]) => {
              const v = clean({
                aliases: nonEmpty(n.aliases),
                ipv4_address: n.ipv4_address,
                ipv6_address: n.ipv6_address,
                priority: n.priority,
                mac_address: n.mac_address,
                link_local_ips: n.link_local_ips && nonEmpty(n.link_local_ips),
                interface_name: n.interface_name,
                gw_priority: n.gw_priority,
                driver_opts: n.driver_opts && nonEmptyMap(n.driver_opts),
              });
              return [k, Object.keys(v).length ? v : null];
            }),
          )
        : undefined,
    pid: s.pid,
    pids_limit: rawNumber(raw.pids_limit),
    platform: s.platform,
    ports: nonEmpty(s.ports.map(port)),
    privileged: s.privileged || undefined,
    profiles: nonEmpty(s.profiles),
    pull_policy: s.pull_policy,
    read_only: s.read_only || undefined,
    // as written: a deploy.restart_policy stays under deploy, as Compose prints it
    restart: raw.restart == null ? undefined : String(raw.restart),
    runtime: s.runtime,
    scale: rawNumber(raw.scale),
    secrets: fileRefs(raw.secrets),
    security_opt: nonEmpty(s.security_opt),
    shm_size: unitBytes(r.shmSizeBytes),
    stdin_open: s.stdin_open || undefined,
    stop_grace_period: s.stopGracePeriodMs === undefined ? undefined : formatDuration(s.stopGracePeriodMs),
    stop_signal: s.stop_signal,
    storage_opt: s.storage_opt && nonEmptyMap(s.storage_opt),
    sysctls: nonEmptyMap(s.sysctls),
    tmpfs: nonEmpty(s.tmpfs),
    tty: s.tty || undefined,
    ulimits:
      Object.keys(s.ulimits).length > 0
        ? Object.fromEntries(
            Object.keys(s.ulimits)
              .sort()
              .map((k) => [k, clean({ soft: s.ulimits[k]!.soft, hard: s.ulimits[k]!.hard })]),
          )
        : undefined,
    user: s.user,
    uts: s.uts,
    volumes: nonEmpty(volumes.map(mount)),
    volumes_from: nonEmpty(s.volumes_from),
    working_dir: s.working_dir,
  });
}

function network(n: NetworkSpec): Json {
  return clean({
    name: n.name,
    driver: n.driver,
    driver_opts: nonEmptyMap(n.driver_opts),
    external: n.external || undefined,
    internal: n.internal || undefined,
    attachable: n.attachable || undefined,
    enable_ipv6: n.enable_ipv6 || undefined,
    ipam: n.ipam
      ? clean({
          driver: n.ipam.driver,
          config: n.ipam.config.map((c) =>
            clean({
              subnet: c.subnet,
              gateway: c.gateway,
              ip_range: c.ip_range,
              aux_addresses: c.aux_addresses && nonEmptyMap(c.aux_addresses),
            }),
          ),
          options: n.ipam.options && nonEmptyMap(n.ipam.options),
        })
      : undefined,
    labels: nonEmptyMap(n.labels),
  });
}

function volume(v: VolumeSpec): Json {
  return clean({
    name: v.name,
    driver: v.driver,
    driver_opts: nonEmptyMap(v.driver_opts),
    external: v.external || undefined,
    labels: nonEmptyMap(v.labels),
  });
}

/** A top-level secret or config as Compose prints it: its engine name, and the file made absolute. */
function fileObject(key: string, v: unknown, project: string, workingDir: string): Json {
  const o: Obj = isObj(v) ? v : {};
  const external = o.external === true || o.external === 'true' || isObj(o.external);
  const str = (x: unknown) => (x == null ? undefined : String(x));
  return clean({
    ...extensions(o),
    name:
      str(o.name) ??
      (isObj(o.external) && o.external.name != null
        ? String(o.external.name)
        : external
          ? key
          : `${project}_${key}`),
    file: o.file == null ? undefined : absolute(String(o.file), workingDir),
    environment: str(o.environment),
    content: str(o.content),
    external: external || undefined,
    labels: o.labels == null ? undefined : (sortedMap(kvMap(o.labels)) as Json),
    driver: str(o.driver),
    driver_opts: isObj(o.driver_opts) ? (sortedMap(kvMap(o.driver_opts)) as Json) : undefined,
    template_driver: str(o.template_driver),
  });
}

/** The whole stack, services in the given order (file order by default). */
export function stackJson(
  stack: Stack,
  order: string[] = Object.keys(stack.services),
  opts: JsonOptions = {},
): Json {
  const model = composeModels.get(stack) ?? {};
  const rawServices = isObj(model.services) ? model.services : {};
  const rawOf = (group: unknown, k: string): Obj => (isObj(group) && isObj(group[k]) ? group[k] : {});
  const o = { ...opts, workingDir: opts.workingDir ?? stack.workingDir };
  const services: { [k: string]: Json } = {};
  for (const n of order) services[n] = serviceJson(stack.services[n]!, rawOf(rawServices, n), o);
  const networks = mapSorted(stack.networks, (n) => n);
  const volumes = mapSorted(stack.volumes, (v) => v);
  const out: { [k: string]: Json } = { ...extensions(model), name: stack.project, services };
  if (Object.keys(networks).length)
    out.networks = Object.fromEntries(
      Object.entries(networks).map(([k, n]) => [
        k,
        { ...(network(n) as object), ...extensions(rawOf(model.networks, k)) },
      ]),
    );
  if (Object.keys(volumes).length)
    out.volumes = Object.fromEntries(
      Object.entries(volumes).map(([k, v]) => [
        k,
        { ...(volume(v) as object), ...extensions(rawOf(model.volumes, k)) },
      ]),
    );
  for (const kind of ['secrets', 'configs'] as const) {
    const defs = model[kind];
    if (!isObj(defs) || !Object.keys(defs).length) continue;
    out[kind] = Object.fromEntries(
      Object.keys(defs)
        .sort()
        .map((k) => [k, fileObject(k, defs[k], stack.project, stack.workingDir)]),
    );
  }
  return out;
}
