// The canonical long form of a Stack, shaped like `docker compose config --format json` prints it, with keys
// in a stable order so the output can be diffed and tested.
import type {
  Healthcheck,
  MountSpec,
  NetworkSpec,
  PortSpec,
  Service,
  Stack,
  VolumeSpec,
} from '../model/stack.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

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
    tmpfs: m.tmpfs ? clean({ size: m.tmpfs.size, mode: m.tmpfs.mode }) : undefined,
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

export function serviceJson(s: Service): Json {
  const r = s.resources;
  const limits = clean({
    cpus: r.nanoCpus === undefined ? undefined : String(r.nanoCpus / 1e9),
    memory: r.memoryBytes,
    pids: r.pidsLimit,
  });
  const reservations = clean({
    memory: r.memoryReservationBytes,
    generic_resources: r.genericResources?.map((g) => ({
      discrete_resource_spec: { kind: g.kind, value: g.value },
    })),
  });
  const resources = clean({
    limits: Object.keys(limits).length ? limits : undefined,
    reservations: Object.keys(reservations).length ? reservations : undefined,
  });
  return clean({
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
          shm_size: s.build.shm_size,
          extra_hosts: s.build.extra_hosts && nonEmpty(s.build.extra_hosts),
          tags: s.build.tags && nonEmpty(s.build.tags),
          cache_from: s.build.cache_from && nonEmpty(s.build.cache_from),
          platforms: s.build.platforms && nonEmpty(s.build.platforms),
        })
      : undefined,
    cap_add: nonEmpty(s.cap_add),
    cap_drop: nonEmpty(s.cap_drop),
    cgroup_parent: s.cgroup_parent,
    command: s.command,
    container_name: s.container_name,
    cpu_shares: r.cpuShares,
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
    deploy:
      Object.keys(resources).length > 0 || s.replicas !== 1
        ? clean({
            replicas: s.replicas !== 1 ? s.replicas : undefined,
            resources: Object.keys(resources).length ? resources : undefined,
          })
        : undefined,
    device_cgroup_rules: s.device_cgroup_rules && nonEmpty(s.device_cgroup_rules),
    devices: nonEmpty(s.devices),
    dns: nonEmpty(s.dns),
    dns_opt: nonEmpty(s.dns_opt),
    dns_search: nonEmpty(s.dns_search),
    domainname: s.domainname,
    entrypoint: s.entrypoint,
    environment: nonEmptyMap(s.environment),
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
    platform: s.platform,
    ports: nonEmpty(s.ports.map(port)),
    privileged: s.privileged || undefined,
    profiles: nonEmpty(s.profiles),
    pull_policy: s.pull_policy,
    read_only: s.read_only || undefined,
    restart: s.restart,
    runtime: s.runtime,
    security_opt: nonEmpty(s.security_opt),
    shm_size: r.shmSizeBytes,
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
    volumes: nonEmpty(s.volumes.map(mount)),
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

/** The whole stack, services in the given order (file order by default). */
export function stackJson(stack: Stack, order: string[] = Object.keys(stack.services)): Json {
  const services: { [k: string]: Json } = {};
  for (const n of order) services[n] = serviceJson(stack.services[n]!);
  const networks = mapSorted(stack.networks, network);
  const volumes = mapSorted(stack.volumes, volume);
  const out: { [k: string]: Json } = { name: stack.project, services };
  if (Object.keys(networks).length) out.networks = networks;
  if (Object.keys(volumes).length) out.volumes = volumes;
  return out;
}
