// Pure translation of a normalized Service into the engine's container-create options. Split in two: a
// replica-independent template (what the config hash covers) and the per-replica finishing touches (name,
// replica label, hash label), so the hash changes exactly when the container would come out different.
import { createHash } from 'node:crypto';
import path from 'node:path';
import type Docker from 'dockerode';
import { networkKeysByPriority } from '../compose/normalize-common.js';
import { BerthError, ExitCode } from '../errors.js';
import {
  Label,
  composeContainerLabels,
  containerName as modelContainerName,
  ownerLabels,
  resourceName,
} from '../model/index.js';
import type { InjectedFile, MountSpec, PortSpec, Service, Stack } from '../model/stack.js';
import { VERSION } from '../version.js';

export type CreateOptions = Docker.ContainerCreateOptions;

/** What a replica needs besides its template: networks beyond the first are connected after create (API 1.41 takes one). */
export interface ContainerPlan {
  name: string;
  options: CreateOptions;
  /** Network engine name → endpoint config, connected between create and start. */
  extraNetworks: Record<string, Docker.EndpointSettings>;
  /** `file:line` of keys the engine may refuse at create, so the refusal can name the key. */
  keyAt?: Record<string, string>;
}

/** `<project>-<service>-<n>`, or the file's container_name. */
export function containerName(project: string, service: Service, replica: number): string {
  return modelContainerName(project, service.name, replica, service.container_name);
}

/** Engine names of the networks a service joins, primary (highest priority, then declaration order) first. */
export function serviceNetworks(stack: Stack, service: Service): string[] {
  if (service.network_mode) return [];
  return networkKeysByPriority(service.networks).map((k) =>
    resourceName(stack.project, k, stack.networks[k]?.name),
  );
}

/** `service:x` → the container of x's first replica, as Compose resolves it. */
function serviceRef(stack: Stack, mode: string | undefined): string | undefined {
  if (!mode) return undefined;
  if (!mode.startsWith('service:')) return mode;
  const dep = stack.services[mode.slice('service:'.length)];
  const name = dep ? containerName(stack.project, dep, 1) : `${stack.project}-${mode.slice(8)}-1`;
  return `container:${name}`;
}

/** `service:x[:mode]` or `x[:mode]` → first replica of x; `container:name[:mode]` → that container. */
function volumesFromRef(stack: Stack, v: string): string {
  if (v.startsWith('container:')) return v.slice('container:'.length);
  const [ref = v, mode] = v.replace(/^service:/, '').split(':');
  const dep = stack.services[ref];
  const name = dep ? containerName(stack.project, dep, 1) : ref;
  return mode ? `${name}:${mode}` : name;
}

function portKey(p: PortSpec): string {
  return `${p.target}/${p.protocol}`;
}

function portBindings(ports: PortSpec[]): {
  exposed: Record<string, object>;
  bindings: Record<string, Array<{ HostIp: string; HostPort: string }>>;
} {
  const exposed: Record<string, object> = {};
  const bindings: Record<string, Array<{ HostIp: string; HostPort: string }>> = {};
  for (const p of ports) {
    const key = portKey(p);
    exposed[key] = {};
    const list = bindings[key] ?? [];
    list.push({ HostIp: p.host_ip, HostPort: p.published ?? '' });
    bindings[key] = list;
  }
  return { exposed, bindings };
}

// The engine's Mounts entries; dockerode's type insists on fields the engine treats as optional.
type Mount = Record<string, unknown>;

function mount(stack: Stack, m: MountSpec): Docker.MountSettings {
  const out: Mount = { Type: m.type, Target: m.target, ReadOnly: m.read_only };
  if (m.type === 'volume') {
    if (m.source) out.Source = stack.volumes[m.source]?.name ?? m.source;
    if (m.volume?.nocopy !== undefined || m.volume?.subpath)
      out.VolumeOptions = {
        NoCopy: m.volume?.nocopy ?? false,
        ...(m.volume?.subpath ? { Subpath: m.volume.subpath } : {}),
      };
  } else if (m.type === 'bind') {
    out.Source = m.source;
    if (m.bind?.propagation) out.BindOptions = { Propagation: m.bind.propagation };
  } else if (m.type === 'tmpfs') {
    if (m.tmpfs?.size !== undefined || m.tmpfs?.mode !== undefined)
      out.TmpfsOptions = compact({ SizeBytes: m.tmpfs?.size, Mode: m.tmpfs?.mode });
  } else if (m.type === 'image') {
    out.Source = m.source;
    if (m.image?.subpath) out.ImageOptions = { Subpath: m.image.subpath };
  } else if (m.source) {
    out.Source = m.source;
  }
  if (m.consistency) out.Consistency = m.consistency;
  return out as unknown as Docker.MountSettings;
}

/** A mount of an existing container, as the engine's inspect shows it. */
export interface InspectedMount {
  Type?: string;
  Name?: string;
  Source?: string;
  Destination: string;
  RW?: boolean;
}

/**
 * The mounts a recreated container takes over from the one it replaces, as Compose's recreate does: the old
 * container's volumes at the paths that are anonymous in the new one — a `volumes:` entry without a source, or
 * a VOLUME of the new image no mount of the service covers. Named volumes and binds come from the file anyway.
 */
export function inheritedMounts(
  service: Service,
  old: readonly InspectedMount[],
  imageVolumes: readonly string[],
): Docker.MountSettings[] {
  const clean = (p: string) => path.posix.normalize(p).replace(/(.)\/$/, '$1');
  const anonymous = new Set(
    service.volumes.filter((m) => m.type === 'volume' && !m.source).map((m) => clean(m.target)),
  );
  const covered = new Set(
    service.volumes.filter((m) => m.type !== 'volume' || m.source).map((m) => clean(m.target)),
  );
  for (const v of imageVolumes) if (!covered.has(clean(v))) anonymous.add(clean(v));
  const out: Docker.MountSettings[] = [];
  for (const m of old) {
    if (m.Type !== 'volume' || !m.Name || !anonymous.has(clean(m.Destination))) continue;
    out.push({
      Type: 'volume',
      Source: m.Name,
      Target: clean(m.Destination),
      ReadOnly: m.RW === false,
    } as Docker.MountSettings);
  }
  return out;
}

/** The create options with `inherited` mounts in place of the anonymous mounts at the same paths. */
export function withInherited(options: CreateOptions, inherited: Docker.MountSettings[]): CreateOptions {
  if (!inherited.length) return options;
  const targets = new Set(inherited.map((m) => m.Target));
  const mounts = (options.HostConfig?.Mounts ?? []).filter((m) => !targets.has(m.Target));
  return { ...options, HostConfig: { ...options.HostConfig, Mounts: [...mounts, ...inherited] } };
}

const isBind = (m: MountSpec) => m.type === 'bind' && m.bind?.create_host_path !== false && !!m.source;
const nonBinds = (list: MountSpec[]) => list.filter((m) => !isBind(m));

function bindsOf(list: MountSpec[]): string[] | undefined {
  const binds = list.filter(isBind).map((m) => {
    const opts = [m.read_only ? 'ro' : 'rw'];
    if (m.bind?.selinux) opts.push(m.bind.selinux);
    if (m.bind?.propagation) opts.push(m.bind.propagation);
    return `${m.source}:${m.target}:${opts.join(',')}`;
  });
  return binds.length ? binds : undefined;
}

function restartPolicy(restart: string | undefined): Docker.HostRestartPolicy | undefined {
  if (!restart || restart === 'no') return undefined;
  const [name, count] = restart.split(':');
  return { Name: name ?? 'no', ...(count ? { MaximumRetryCount: Number(count) } : {}) };
}

function tmpfsMap(tmpfs: string[]): Record<string, string> | undefined {
  if (!tmpfs.length) return undefined;
  const out: Record<string, string> = {};
  for (const t of tmpfs) {
    const i = t.indexOf(':');
    if (i < 0) out[t] = '';
    else out[t.slice(0, i)] = t.slice(i + 1);
  }
  return out;
}

function devices(
  list: string[],
): Array<{ PathOnHost: string; PathInContainer: string; CgroupPermissions: string }> {
  return list.map((d) => {
    const [host = d, inner, perms] = d.split(':');
    return { PathOnHost: host, PathInContainer: inner ?? host, CgroupPermissions: perms ?? 'rwm' };
  });
}

const ns = (ms: number | undefined) => (ms === undefined ? undefined : ms * 1_000_000);

/** `container[:alias]` → `container:alias`, the engine's link form (the alias defaults to the name, as in Compose). */
function linkOf(l: string): string {
  const [name = l, alias] = l.split(':');
  return `${name}:${alias ?? name}`;
}

/**
 * A digest of the secrets and configs copied into new containers, as a label: a changed value or mode changes
 * the config hash and so recreates the containers, as Compose does (it hashes them too). Only a digest: the
 * label never shows the content.
 */
export const FILES_LABEL = 'dev.berth.files';
export function filesDigest(files: InjectedFile[]): string {
  const h = createHash('sha256');
  for (const f of files)
    h.update(JSON.stringify([f.kind, f.name, f.target, f.mode, f.uid, f.gid, f.content]));
  return h.digest('hex').slice(0, 16);
}

/** Drop undefined fields so the template's JSON (and so its hash) does not depend on which optional keys exist. */
function compact<T extends object>(o: T): T {
  for (const k of Object.keys(o) as Array<keyof T>) if (o[k] === undefined) delete o[k];
  return o;
}

/**
 * Everything about a service's containers that does not depend on the replica number. The image is the
 * reference as written; the resolved image ID goes into the hash (not the options) so `ps` shows readable names.
 */
export function containerTemplate(stack: Stack, service: Service): CreateOptions {
  const { exposed, bindings } = portBindings(service.ports);
  for (const e of service.expose) {
    const key = e.includes('/') ? e : `${e}/tcp`;
    exposed[key] ??= {};
  }
  const hc = service.healthcheck;
  const labels: Record<string, string> = {
    ...service.labels,
    ...ownerLabels(stack),
    [Label.service]: service.name,
    ...(service.files?.length ? { [FILES_LABEL]: filesDigest(service.files) } : {}),
  };
  const primary = networkKeysByPriority(service.networks)[0];
  const links = (service.external_links ?? []).map(linkOf);
  const hostConfig: Docker.HostConfig = compact({
    // Binds for host paths, as Compose does for the short syntax: the engine creates a missing directory there,
    // while the Mounts API refuses; everything else (and `create_host_path: false`) goes through Mounts.
    Binds: bindsOf(service.volumes),
    Mounts: nonBinds(service.volumes).length
      ? nonBinds(service.volumes).map((m) => mount(stack, m))
      : undefined,
    PortBindings: Object.keys(bindings).length ? bindings : undefined,
    RestartPolicy: restartPolicy(service.restart),
    NetworkMode: service.network_mode
      ? serviceRef(stack, service.network_mode)
      : serviceNetworks(stack, service)[0],
    IpcMode: serviceRef(stack, service.ipc),
    PidMode: serviceRef(stack, service.pid),
    VolumesFrom: service.volumes_from.length
      ? service.volumes_from.map((v) => volumesFromRef(stack, v))
      : undefined,
    Tmpfs: tmpfsMap(service.tmpfs),
    Links: links.length ? links : undefined,
    CgroupParent: service.cgroup_parent,
    DeviceCgroupRules: service.device_cgroup_rules?.length ? service.device_cgroup_rules : undefined,
    UTSMode: service.uts || undefined,
    StorageOpt:
      service.storage_opt && Object.keys(service.storage_opt).length ? service.storage_opt : undefined,
    ExtraHosts: service.extra_hosts.length ? service.extra_hosts.map((h) => h.replace('=', ':')) : undefined,
    Dns: service.dns.length ? service.dns : undefined,
    DnsSearch: service.dns_search?.length ? service.dns_search : undefined,
    DnsOptions: service.dns_opt?.length ? service.dns_opt : undefined,
    GroupAdd: service.group_add?.length ? service.group_add : undefined,
    Runtime: service.runtime,
    CapAdd: service.cap_add.length ? service.cap_add : undefined,
    CapDrop: service.cap_drop.length ? service.cap_drop : undefined,
    Privileged: service.privileged || undefined,
    ReadonlyRootfs: service.read_only || undefined,
    SecurityOpt: service.security_opt.length ? service.security_opt : undefined,
    Sysctls: Object.keys(service.sysctls).length ? service.sysctls : undefined,
    Ulimits: Object.keys(service.ulimits).length
      ? Object.entries(service.ulimits).map(([Name, l]) => ({ Name, Soft: l.soft, Hard: l.hard }))
      : undefined,
    Devices: service.devices.length ? devices(service.devices) : undefined,
    LogConfig: service.logging?.driver
      ? { Type: service.logging.driver, Config: service.logging.options }
      : undefined,
    Init: service.init,
    NanoCpus: service.resources.nanoCpus,
    Memory: service.resources.memoryBytes,
    MemoryReservation: service.resources.memoryReservationBytes,
    PidsLimit: service.resources.pidsLimit,
    ShmSize: service.resources.shmSizeBytes,
    CpuShares: service.resources.cpuShares,
    CpusetCpus: service.resources.cpuset,
  });
  return compact({
    Image: service.image,
    platform: service.platform,
    Cmd: service.command,
    Entrypoint: service.entrypoint,
    // Sorted: reordering lines in the file must not change the hash.
    Env: Object.entries(service.environment)
      .map(([k, v]) => `${k}=${v}`)
      .sort(),
    User: service.user,
    WorkingDir: service.working_dir,
    Hostname: service.hostname,
    // Before API 1.44 a MAC address is the container's, on its primary network (normalization made sure the
    // service's and that network's agree, and the check before `up` refuses a MAC on any other network there).
    MacAddress: service.mac_address ?? (primary ? service.networks[primary]?.mac_address : undefined),
    Domainname: service.domainname,
    Tty: service.tty || undefined,
    OpenStdin: service.stdin_open || undefined,
    ExposedPorts: Object.keys(exposed).length ? exposed : undefined,
    StopSignal: service.stop_signal,
    StopTimeout:
      service.stopGracePeriodMs === undefined ? undefined : Math.ceil(service.stopGracePeriodMs / 1000),
    Healthcheck: hc
      ? hc.disable
        ? { Test: ['NONE'] }
        : compact({
            Test: hc.test,
            Interval: ns(hc.intervalMs),
            Timeout: ns(hc.timeoutMs),
            StartPeriod: ns(hc.startPeriodMs),
            StartInterval: ns(hc.startIntervalMs),
            Retries: hc.retries,
          } as Docker.HealthConfig)
      : undefined,
    Labels: labels,
    HostConfig: hostConfig,
  });
}

/** Name, labels and network endpoints of one replica, on top of the template. */
export function containerForReplica(
  stack: Stack,
  service: Service,
  template: CreateOptions,
  replica: number,
  hash: string,
  name = containerName(stack.project, service, replica),
): ContainerPlan {
  const canonical = containerName(stack.project, service, replica);
  const endpoints: Record<string, Docker.EndpointSettings> = {};
  const links = (service.external_links ?? []).map(linkOf);
  for (const key of networkKeysByPriority(service.networks)) {
    const n = service.networks[key]!;
    const engineName = resourceName(stack.project, key, stack.networks[key]?.name);
    const linkLocal = n.link_local_ips ?? [];
    const ipam =
      n.ipv4_address || n.ipv6_address || linkLocal.length
        ? compact({
            IPv4Address: n.ipv4_address,
            IPv6Address: n.ipv6_address,
            LinkLocalIPs: linkLocal.length ? linkLocal : undefined,
          })
        : undefined;
    const driverOpts = {
      ...(n.driver_opts ?? {}),
      // how Compose asks for an interface name (the engine honours it from API 1.49 on)
      ...(n.interface_name ? { 'com.docker.network.endpoint.ifname': n.interface_name } : {}),
    };
    // The service name (DNS round-robin over replicas) and the final container name, which a temporary
    // recreate name would otherwise hide until the rename. On user-defined networks the engine reads links
    // from the endpoint (HostConfig.Links only counts on the default bridge), so they go on every endpoint.
    endpoints[engineName] = compact({
      Aliases: [...new Set([service.name, canonical, ...n.aliases])],
      IPAMConfig: ipam,
      MacAddress: n.mac_address,
      DriverOpts: Object.keys(driverOpts).length ? driverOpts : undefined,
      GwPriority: n.gw_priority,
      Links: links.length ? links : undefined,
    } as Docker.EndpointSettings);
  }
  const [first, ...rest] = Object.keys(endpoints);
  const options: CreateOptions = {
    ...template,
    name,
    Labels: {
      ...template.Labels,
      // Compose's labels, for tools that group Compose projects: outside the template and its hash, so
      // adding them (or a moved checkout) recreates nothing
      ...composeContainerLabels(stack, service.name, VERSION, replica),
      // where the stack came from is for `berth ls`, not configuration: outside the template and its hash
      ...(stack.files[0] ? { [Label.file]: stack.files[0] } : {}),
      [Label.replica]: String(replica),
      [Label.configHash]: hash,
      [Label.version]: VERSION,
    },
    ...(first ? { NetworkingConfig: { EndpointsConfig: { [first]: endpoints[first]! } } } : {}),
  };
  const extraNetworks: Record<string, Docker.EndpointSettings> = {};
  for (const r of rest) extraNetworks[r] = endpoints[r]!;
  return {
    name,
    options,
    extraNetworks,
    ...(service.keyAt && Object.keys(service.keyAt).length ? { keyAt: service.keyAt } : {}),
  };
}

/** `a.b` ≥ `c.d` for engine API versions. */
export function apiAtLeast(version: string | undefined, min: string): boolean {
  const [a = 0, b = 0] = (version ?? '0.0').split('.').map(Number);
  const [c = 0, d = 0] = min.split('.').map(Number);
  return a > c || (a === c && b >= d);
}

/**
 * What must stop `up` before it creates anything, for the services it will create containers for: keys this
 * engine's API version cannot honour (never silently dropped), and secrets/configs whose variable is unset.
 * Pure: the caller asks the engine its version.
 */
export function createBlockers(
  stack: Stack,
  services: string[],
  apiVersion: string | undefined,
): BerthError[] {
  const out: BerthError[] = [];
  for (const name of services) {
    const svc = stack.services[name];
    if (!svc) continue;
    for (const r of svc.needsApi ?? []) {
      if (apiAtLeast(apiVersion, r.api)) continue;
      out.push(
        new BerthError(
          `\`${r.key}\` needs Docker Engine API ${r.api} (${r.engine}); this engine speaks API ${apiVersion ?? 'unknown'}`,
          {
            exitCode: ExitCode.BadInput,
            pos: r.pos,
            frame: r.frame,
            hint: `remove it to use this engine, or use ${r.engine} or newer; nothing was created`,
          },
        ),
      );
    }
    for (const f of svc.files ?? []) {
      if (!f.unset) continue;
      out.push(
        new BerthError(
          `environment variable ${f.unset.variable} required by ${f.kind} \`${f.name}\` (service "${name}") is not set`,
          {
            exitCode: ExitCode.BadInput,
            pos: f.unset.pos,
            frame: f.unset.frame,
            hint: `set ${f.unset.variable} in the shell or in .env; nothing was created`,
          },
        ),
      );
    }
  }
  return out;
}
