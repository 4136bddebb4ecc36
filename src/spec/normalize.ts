// Merged, validated Compose model → typed Stack in long form. Every short syntax is expanded here so the rest
// of berth never re-parses Compose strings. Problems are collected and reported together.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { type BerthError, BerthErrors } from '../errors.js';
import { parseEnvFile } from './envfile.js';
import type { Lookup } from './interpolate.js';
import { toKvMap } from './merge.js';
import type { Path, Sources } from './source.js';
import type {
  BuildSpec,
  Dependency,
  DependencyCondition,
  Healthcheck,
  MountSpec,
  NetworkSpec,
  PortSpec,
  Resources,
  Service,
  ServiceNetwork,
  SourceRef,
  Stack,
  VolumeSpec,
} from './types.js';
import { parseBytes, parseDuration, shellSplit } from './units.js';

export interface NormalizeContext {
  sources: Sources;
  workingDir: string;
  name: string;
  project: string;
  client?: string;
  profiles: string[];
  /** Shell env, client env, .env — for `environment: [KEY]` without a value and for `~`. */
  lookup: Lookup;
  files: string[];
  warnings: string[];
  /** Shown file path for env_file messages. */
  show: (abs: string) => string;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);
const str = (v: unknown): string => (v === null || v === undefined ? '' : String(v));
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === null || v === undefined ? [] : [v]);
const strList = (v: unknown): string[] => list(v).map(str);
/** Booleans may arrive as strings after interpolation (`${DEBUG:-false}`). */
const bool = (v: unknown): boolean => v === true || (typeof v === 'string' && /^(true|yes|on|1)$/i.test(v));

export function normalizeStack(model: Obj, ctx: NormalizeContext): Stack {
  const errors: BerthError[] = [];
  const err = (p: Path, msg: string, hint?: string) => errors.push(ctx.sources.error(p, msg, { hint }));
  const servicesRaw = isObj(model.services) ? model.services : {};
  const active = new Set(ctx.profiles);
  const services: Record<string, Service> = {};
  const disabled: string[] = [];

  const volumes: Record<string, VolumeSpec> = {};
  for (const [key, raw] of Object.entries(isObj(model.volumes) ? model.volumes : {})) {
    const v = isObj(raw) ? raw : {};
    const external = bool(v.external) || isObj(v.external);
    volumes[key] = {
      name: v.name !== undefined ? str(v.name) : external ? externalName(v, key) : `${ctx.project}_${key}`,
      driver: v.driver === undefined ? undefined : str(v.driver),
      driver_opts: stringMap(v.driver_opts),
      external,
      labels: stringMap(toKvMap(v.labels ?? {})),
    };
  }
  const networks: Record<string, NetworkSpec> = {};
  for (const [key, raw] of Object.entries(isObj(model.networks) ? model.networks : {})) {
    networks[key] = network(key, isObj(raw) ? raw : {}, ctx.project);
  }
  const secrets = isObj(model.secrets) ? model.secrets : {};
  const configs = isObj(model.configs) ? model.configs : {};

  for (const [name, raw] of Object.entries(servicesRaw)) {
    const at: Path = ['services', name];
    const s = isObj(raw) ? raw : {};
    const profiles = strList(s.profiles);
    if (profiles.length > 0 && !active.has('*') && !profiles.some((p) => active.has(p))) {
      disabled.push(name);
      continue;
    }
    services[name] = service(name, s, at, { ...ctx, volumes, networks, secrets, configs, err });
  }
  // The implicit default network exists only when some service uses it.
  if (Object.values(services).some((s) => Object.hasOwn(s.networks, 'default')) && !networks.default) {
    networks.default = network('default', {}, ctx.project);
  }
  if (errors.length === 0) crossChecks(services, ctx, err);
  if (errors.length > 0) throw errors.length === 1 ? errors[0] : new BerthErrors(errors);
  return {
    name: ctx.name,
    client: ctx.client,
    project: ctx.project,
    workingDir: ctx.workingDir,
    files: ctx.files,
    services,
    disabledServices: disabled,
    networks,
    volumes,
    warnings: ctx.warnings,
  };
}

/** Where each normalized port came from (a range expands into several), for cross-service messages. */
const portOrigin = new WeakMap<PortSpec, Path>();

function portRange(p: PortSpec): [number, number] | undefined {
  if (!p.published) return undefined;
  const [a, b = a] = p.published.split('-').map(Number) as [number, number?];
  return [a, b ?? a];
}

const anyIp = (ip: string) => ip === '0.0.0.0' || ip === '::' || ip === '';

/**
 * What only shows across services: two services (or replicas) publishing the same host port, a container
 * name used twice. These fail late on the engine with a vaguer message; here they point at both lines.
 */
function crossChecks(
  services: Record<string, Service>,
  ctx: NormalizeContext,
  err: (p: Path, msg: string, hint?: string) => void,
): void {
  const seen: Array<{ svc: string; port: PortSpec; range: [number, number] }> = [];
  for (const svc of Object.values(services)) {
    if (svc.network_mode === 'host' && svc.ports.length > 0) {
      ctx.warnings.push(
        `service \`${svc.name}\`: \`ports\` are ignored with \`network_mode: host\` (the container uses the host's ports directly)`,
      );
      continue;
    }
    for (const port of svc.ports) {
      const range = portRange(port);
      if (!range) continue;
      const at = portOrigin.get(port) ?? ['services', svc.name, 'ports'];
      if (svc.replicas > 1 && range[0] === range[1]) {
        err(
          at,
          `host port ${port.published} cannot be published by ${svc.replicas} replicas at once`,
          `leave the host port out ("${port.target}") or give a range ("${range[0]}-${range[0] + svc.replicas - 1}:${port.target}")`,
        );
        continue;
      }
      const clash = seen.find(
        (o) =>
          o.port.protocol === port.protocol &&
          (o.port.host_ip === port.host_ip || anyIp(o.port.host_ip) || anyIp(port.host_ip)) &&
          o.range[0] <= range[1] &&
          range[0] <= o.range[1],
      );
      if (clash) {
        const where = ctx.sources.locate(portOrigin.get(clash.port) ?? ['services', clash.svc]);
        err(
          at,
          `host port ${port.published}/${port.protocol} is already published by service \`${clash.svc}\`${where ? ` (${where.pos.file}:${where.pos.line})` : ''}`,
          'give one of them another host port',
        );
        continue;
      }
      seen.push({ svc: svc.name, port, range });
    }
  }
  const names = new Map<string, string>();
  for (const svc of Object.values(services)) {
    if (!svc.container_name) continue;
    const other = names.get(svc.container_name);
    if (other)
      err(
        ['services', svc.name, 'container_name'],
        `container name \`${svc.container_name}\` is already used by service \`${other}\``,
        'container names must be unique; remove `container_name` to let berth name it',
      );
    else names.set(svc.container_name, svc.name);
  }
  for (const svc of Object.values(services)) {
    for (const [dep, d] of Object.entries(svc.depends_on)) {
      const target = services[dep];
      if (
        d.condition === 'service_healthy' &&
        target &&
        (!target.healthcheck || target.healthcheck.disable)
      ) {
        ctx.warnings.push(
          `service \`${svc.name}\` waits for \`${dep}\` to be healthy, but \`${dep}\` has no healthcheck in the file (fine only if its image defines one)`,
        );
      }
    }
  }
}

function network(key: string, v: Obj, project: string): NetworkSpec {
  const external = bool(v.external) || isObj(v.external);
  const ipam = isObj(v.ipam) ? v.ipam : undefined;
  return {
    name: v.name !== undefined ? str(v.name) : external ? externalName(v, key) : `${project}_${key}`,
    driver: v.driver === undefined ? undefined : str(v.driver),
    driver_opts: stringMap(v.driver_opts),
    external,
    internal: bool(v.internal),
    attachable: bool(v.attachable),
    enable_ipv6: v.enable_ipv6 === true,
    ipam: ipam
      ? {
          driver: ipam.driver === undefined ? undefined : str(ipam.driver),
          config: list(ipam.config).map((c) => {
            const o = isObj(c) ? c : {};
            return {
              subnet: o.subnet === undefined ? undefined : str(o.subnet),
              gateway: o.gateway === undefined ? undefined : str(o.gateway),
              ip_range: o.ip_range === undefined ? undefined : str(o.ip_range),
            };
          }),
        }
      : undefined,
    labels: stringMap(toKvMap(v.labels ?? {})),
  };
}

/** Old syntax `external: { name: x }` names the engine object; otherwise an external object keeps its key. */
function externalName(v: Obj, key: string): string {
  return isObj(v.external) && v.external.name !== undefined ? str(v.external.name) : key;
}

function stringMap(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (isObj(v)) for (const [k, x] of Object.entries(v)) out[k] = str(x);
  return out;
}

interface SvcCtx extends NormalizeContext {
  volumes: Record<string, VolumeSpec>;
  networks: Record<string, NetworkSpec>;
  secrets: Obj;
  configs: Obj;
  err: (p: Path, msg: string, hint?: string) => void;
}

function service(name: string, s: Obj, at: Path, ctx: SvcCtx): Service {
  const { err } = ctx;
  const build = s.build === undefined ? undefined : buildSpec(s.build, [...at, 'build'], ctx);
  let image = s.image === undefined ? undefined : str(s.image);
  if (!image && !build) {
    err(
      at,
      `service \`${name}\` has neither \`image\` nor \`build\``,
      'add `image: <name:tag>` or `build: <dir>`',
    );
  }
  // Clients share images, so a build is tagged with the stack name, not the client-specific project.
  image ??= `${ctx.name}-${name}`;
  const replicasRaw = isObj(s.deploy) && s.deploy.replicas !== undefined ? s.deploy.replicas : s.scale;
  const replicas = replicasRaw === undefined ? 1 : Number(replicasRaw);
  if (!Number.isInteger(replicas) || replicas < 0) {
    err(
      isObj(s.deploy) && s.deploy.replicas !== undefined ? [...at, 'deploy', 'replicas'] : [...at, 'scale'],
      `${str(replicasRaw)} is not a number of replicas`,
    );
  }
  const volumesOut = list(s.volumes)
    .map((v, i) => mount(v, [...at, 'volumes', i], ctx))
    .filter(Boolean) as MountSpec[];
  volumesOut.push(...fileRefs(s.secrets, 'secrets', at, ctx), ...fileRefs(s.configs, 'configs', at, ctx));
  const networkMode = s.network_mode === undefined ? undefined : str(s.network_mode);
  const svc: Service = {
    name,
    image,
    build,
    pull_policy: (s.pull_policy === undefined
      ? build && s.image === undefined
        ? 'build'
        : 'missing'
      : str(s.pull_policy)) as Service['pull_policy'],
    command: commandOf(s.command, [...at, 'command'], ctx),
    entrypoint: commandOf(s.entrypoint, [...at, 'entrypoint'], ctx),
    environment: environment(s, at, ctx),
    ports: list(s.ports).flatMap((p, i) => {
      const out = ports(p, [...at, 'ports', i], ctx);
      for (const spec of out) portOrigin.set(spec, [...at, 'ports', i]);
      return out;
    }),
    expose: strList(s.expose),
    volumes: volumesOut,
    volumes_from: strList(s.volumes_from),
    tmpfs: strList(s.tmpfs),
    depends_on: dependsOn(s.depends_on, [...at, 'depends_on'], ctx),
    healthcheck: healthcheck(s.healthcheck, [...at, 'healthcheck'], ctx),
    networks: networkMode ? {} : serviceNetworks(s.networks, [...at, 'networks'], ctx),
    network_mode: networkMode,
    ipc: s.ipc === undefined ? undefined : str(s.ipc),
    pid: s.pid === undefined ? undefined : str(s.pid),
    links: strList(s.links),
    replicas: Number.isInteger(replicas) && replicas >= 0 ? replicas : 1,
    labels: stringMap(toKvMap(s.labels ?? {})),
    user: opt(s.user),
    working_dir: opt(s.working_dir),
    hostname: opt(s.hostname),
    domainname: opt(s.domainname),
    restart: opt(s.restart),
    init: s.init === undefined ? undefined : bool(s.init),
    stop_signal: opt(s.stop_signal),
    stopGracePeriodMs: duration(s.stop_grace_period, [...at, 'stop_grace_period'], ctx),
    extra_hosts: extraHosts(s.extra_hosts),
    dns: strList(s.dns),
    cap_add: strList(s.cap_add),
    cap_drop: strList(s.cap_drop),
    privileged: bool(s.privileged),
    read_only: bool(s.read_only),
    tty: bool(s.tty),
    stdin_open: bool(s.stdin_open),
    security_opt: strList(s.security_opt),
    sysctls: stringMap(toKvMap(s.sysctls ?? {})),
    ulimits: ulimits(s.ulimits, [...at, 'ulimits'], ctx),
    devices: list(s.devices).map((d) =>
      isObj(d)
        ? `${str(d.source)}:${str(d.target ?? d.source)}${d.permissions ? `:${str(d.permissions)}` : ''}`
        : str(d),
    ),
    logging: isObj(s.logging)
      ? { driver: opt(s.logging.driver), options: stringMap(s.logging.options) }
      : undefined,
    platform: opt(s.platform),
    container_name: opt(s.container_name),
    profiles: strList(s.profiles),
    resources: resources(s, at, ctx),
    runtime: opt(s.runtime),
    group_add: strList(s.group_add),
    dns_search: strList(s.dns_search),
    dns_opt: strList(s.dns_opt),
    mac_address: opt(s.mac_address),
    pos: ctx.sources.locate(at, 'key')?.pos,
    refs: refsOf(s, at, ctx),
  };
  // Compose adds the dependencies links, volumes_from and service: namespaces imply; so does berth, marked, so
  // the executor waits for them like any other and messages can say why.
  const implied: Array<[string, NonNullable<Dependency['implicit']>]> = [
    ...svc.links.map((l) => [l.split(':')[0]!, 'links'] as [string, 'links']),
    ...svc.volumes_from
      .filter((v) => !v.startsWith('container:'))
      .map((v) => [v.replace(/^service:/, '').split(':')[0]!, 'volumes_from'] as [string, 'volumes_from']),
    ...(['network_mode', 'ipc', 'pid'] as const)
      .filter((k) => svc[k]?.startsWith('service:'))
      .map((k) => [svc[k]!.slice('service:'.length), k] as [string, typeof k]),
  ];
  for (const [to, kind] of implied) {
    if (!svc.depends_on[to])
      svc.depends_on[to] = { condition: 'service_started', required: true, restart: false, implicit: kind };
  }
  if (svc.replicas > 1 && svc.container_name) {
    err(
      [...at, 'container_name'],
      'a fixed `container_name` cannot be used with more than one replica',
      'remove `container_name`',
    );
  }
  return svc;
}

function refsOf(s: Obj, at: Path, ctx: SvcCtx): Record<string, SourceRef> {
  const out: Record<string, SourceRef> = {};
  const put = (key: string, p: Path, kind: 'key' | 'value' = 'value') => {
    const where = ctx.sources.locate(p, kind);
    if (where) out[key] = where;
  };
  if (Array.isArray(s.depends_on)) {
    s.depends_on.forEach((d, i) => {
      put(`depends_on:${str(d)}`, [...at, 'depends_on', i]);
    });
  } else if (isObj(s.depends_on)) {
    for (const d of Object.keys(s.depends_on)) put(`depends_on:${d}`, [...at, 'depends_on', d], 'key');
  }
  list(s.links).forEach((l, i) => {
    put(`links:${str(l).split(':')[0]}`, [...at, 'links', i]);
  });
  list(s.volumes_from).forEach((v, i) => {
    const to = str(v)
      .replace(/^service:/, '')
      .split(':')[0];
    put(`volumes_from:${to}`, [...at, 'volumes_from', i]);
  });
  for (const k of ['network_mode', 'ipc', 'pid']) {
    const v = s[k];
    if (typeof v === 'string' && v.startsWith('service:')) put(`${k}:${v.slice(8)}`, [...at, k]);
  }
  return out;
}

const opt = (v: unknown): string | undefined => (v === undefined || v === null ? undefined : str(v));

function buildSpec(raw: unknown, at: Path, ctx: SvcCtx): BuildSpec {
  const b: Obj = isObj(raw) ? raw : { context: raw };
  const ctxRaw = str(b.context ?? '.');
  const remote = /^(https?:\/\/|git@|git:\/\/|github\.com\/)/.test(ctxRaw);
  const context = remote ? ctxRaw : resolvePath(ctxRaw, ctx);
  const args: Record<string, string> = {};
  for (const [k, v] of Object.entries(toKvMap(b.args ?? {}))) {
    // `args: [KEY]` takes the value from the environment, like `environment`
    const val = v === null ? ctx.lookup(k) : str(v);
    if (val !== undefined) args[k] = val;
  }
  return {
    context,
    dockerfile: str(b.dockerfile ?? 'Dockerfile'),
    dockerfile_inline: opt(b.dockerfile_inline),
    args,
    target: opt(b.target),
    labels: stringMap(toKvMap(b.labels ?? {})),
    network: opt(b.network),
    no_cache: b.no_cache === undefined ? undefined : bool(b.no_cache),
    pull: b.pull === undefined ? undefined : bool(b.pull),
    shm_size: b.shm_size === undefined ? undefined : bytes(b.shm_size, [...at, 'shm_size'], ctx),
    extra_hosts: b.extra_hosts === undefined ? undefined : extraHosts(b.extra_hosts),
    tags: b.tags === undefined ? undefined : strList(b.tags),
    cache_from: b.cache_from === undefined ? undefined : strList(b.cache_from),
    platforms: b.platforms === undefined ? undefined : strList(b.platforms),
  };
}

function resolvePath(p: string, ctx: NormalizeContext): string {
  if (p === '~' || p.startsWith('~/')) {
    const home = ctx.lookup('HOME') ?? process.env.HOME ?? '/';
    return path.join(home, p.slice(1));
  }
  return path.resolve(ctx.workingDir, p);
}

function commandOf(v: unknown, at: Path, ctx: SvcCtx): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (Array.isArray(v)) return v.map(str);
  const words = shellSplit(str(v));
  if (!words) {
    ctx.err(at, 'unbalanced quotes in the command', 'close the quote, or write the command as a list');
    return [];
  }
  return words;
}

function environment(s: Obj, at: Path, ctx: SvcCtx): Record<string, string> {
  const out: Record<string, string> = {};
  list(s.env_file).forEach((entry, i) => {
    const e = isObj(entry) ? entry : { path: entry };
    const file = resolvePath(str(e.path), ctx);
    const required = e.required === undefined ? true : bool(e.required);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      if (required) {
        ctx.err(
          [...at, 'env_file', ...(Array.isArray(s.env_file) ? [i] : [])],
          `env file ${ctx.show(file)} not found`,
          'create it, fix the path, or mark it `required: false` (long syntax)',
        );
      }
      return;
    }
    try {
      Object.assign(out, parseEnvFile(text, ctx.show(file), ctx.lookup));
    } catch (e) {
      ctx.err([...at, 'env_file'], (e as Error).message);
    }
  });
  for (const [k, v] of Object.entries(toKvMap(s.environment ?? {}))) {
    if (v === null || v === undefined) {
      // `- KEY` / `KEY:` with no value: taken from the environment, dropped when unset (as Compose)
      const val = ctx.lookup(k);
      if (val !== undefined) out[k] = val;
    } else out[k] = typeof v === 'object' ? JSON.stringify(v) : str(v);
  }
  return out;
}

/** Numbers read better bare (`99999 is not a port`); anything else is quoted so spaces and empties show. */
const shown = (s: string) => (/^\d+(-\d+)?$/.test(s) ? s : JSON.stringify(s));

function parsePortNum(s: string): number | undefined {
  if (!/^\d+$/.test(s)) return undefined;
  const n = Number(s);
  return n >= 0 && n <= 65535 ? n : undefined;
}

function parseRange(s: string): [number, number] | undefined {
  const m = /^(\d+)(?:-(\d+))?$/.exec(s);
  if (!m) return undefined;
  const a = parsePortNum(m[1]!);
  const b = m[2] === undefined ? a : parsePortNum(m[2]);
  if (a === undefined || b === undefined || b < a) return undefined;
  return [a, b];
}

const PROTOCOLS = ['tcp', 'udp', 'sctp'];

function ports(raw: unknown, at: Path, ctx: SvcCtx): PortSpec[] {
  const bad = (
    msg: string,
    hint = 'write [HOST_IP:][HOST_PORT:]CONTAINER_PORT[/PROTOCOL], e.g. "8080:80"',
  ) => {
    ctx.err(at, msg, hint);
    return [];
  };
  if (isObj(raw)) {
    const target = Number(raw.target);
    if (!Number.isInteger(target) || target < 1 || target > 65535)
      return bad(`${str(raw.target)} is not a port (1-65535)`);
    const published = raw.published === undefined || raw.published === null ? undefined : str(raw.published);
    if (published !== undefined && published !== '' && !validPublished(published))
      return bad(`${published} is not a port (1-65535)`);
    const protocol = str(raw.protocol ?? 'tcp');
    if (!PROTOCOLS.includes(protocol)) return bad(`unknown protocol ${protocol}`, 'use tcp, udp or sctp');
    return [
      {
        target,
        published: published || undefined,
        host_ip: raw.host_ip ? str(raw.host_ip) : '127.0.0.1',
        protocol: protocol as PortSpec['protocol'],
        mode: raw.mode === undefined ? undefined : (str(raw.mode) as PortSpec['mode']),
        name: opt(raw.name),
        app_protocol: opt(raw.app_protocol),
      },
    ];
  }
  const text = str(raw);
  let rest = text;
  let protocol = 'tcp';
  const slash = rest.lastIndexOf('/');
  if (slash >= 0) {
    protocol = rest.slice(slash + 1);
    rest = rest.slice(0, slash);
    if (!PROTOCOLS.includes(protocol))
      return bad(`unknown protocol ${protocol} in ${JSON.stringify(text)}`, 'use tcp, udp or sctp');
  }
  let hostIp: string | undefined;
  const v6 = /^\[([0-9a-fA-F:.]+)\]:(.*)$/.exec(rest);
  if (v6) {
    hostIp = v6[1];
    rest = v6[2]!;
  }
  const parts = rest.split(':');
  if (!hostIp && parts.length > 3) {
    // bare IPv6 host ip without brackets: the last two fields are the ports
    hostIp = parts.slice(0, -2).join(':');
    parts.splice(0, parts.length - 2);
  }
  if (parts.length === 3) {
    hostIp = parts[0];
    parts.shift();
  }
  const containerPart = parts[parts.length - 1]!;
  const hostPart = parts.length === 2 ? parts[0]! : undefined;
  const c = parseRange(containerPart);
  if (!c || c[0] < 1) return bad(`${shown(containerPart)} is not a port (1-65535)`);
  const h = hostPart ? parseRange(hostPart) : undefined;
  if (hostPart && !h) return bad(`${shown(hostPart)} is not a port (1-65535)`);
  const ip = hostIp || '127.0.0.1';
  const n = c[1] - c[0] + 1;
  if (h && h[1] - h[0] + 1 !== n && n !== 1) {
    return bad(
      `host range ${hostPart} and container range ${containerPart} differ in size`,
      'give ranges of equal length',
    );
  }
  const out: PortSpec[] = [];
  for (let i = 0; i < n; i++) {
    let published: string | undefined;
    if (h) published = n === 1 ? (h[0] === h[1] ? String(h[0]) : `${h[0]}-${h[1]}`) : String(h[0] + i);
    if (published === '0') published = undefined;
    out.push({ target: c[0] + i, published, host_ip: ip, protocol: protocol as PortSpec['protocol'] });
  }
  return out;
}

function validPublished(p: string): boolean {
  const r = parseRange(p);
  return r !== undefined;
}

function isPathLike(s: string): boolean {
  return s.startsWith('.') || s.startsWith('/') || s.startsWith('~') || s.includes('/');
}

function mount(raw: unknown, at: Path, ctx: SvcCtx): MountSpec | undefined {
  if (isObj(raw)) {
    const type = str(raw.type ?? 'volume') as MountSpec['type'];
    const target = str(raw.target);
    if (!target) {
      ctx.err(at, 'a volume needs a `target` (the path inside the container)');
      return undefined;
    }
    let source = raw.source === undefined || raw.source === null ? undefined : str(raw.source);
    if (type === 'bind') {
      if (!source) {
        ctx.err(at, 'a bind mount needs a `source` (a host path)');
        return undefined;
      }
      source = resolvePath(source, ctx);
    }
    if (type === 'volume' && source) checkVolume(source, at, ctx);
    const bind = isObj(raw.bind) ? raw.bind : undefined;
    const vol = isObj(raw.volume) ? raw.volume : undefined;
    const tmpfs = isObj(raw.tmpfs) ? raw.tmpfs : undefined;
    return {
      type,
      source,
      target,
      read_only: bool(raw.read_only),
      bind:
        type === 'bind'
          ? {
              create_host_path: bind?.create_host_path === undefined ? true : bool(bind.create_host_path),
              propagation: opt(bind?.propagation),
              selinux: opt(bind?.selinux) as 'z' | 'Z' | undefined,
            }
          : undefined,
      volume: vol ? { nocopy: bool(vol.nocopy) ? true : undefined, subpath: opt(vol.subpath) } : undefined,
      tmpfs: tmpfs
        ? {
            size: tmpfs.size === undefined ? undefined : bytes(tmpfs.size, [...at, 'tmpfs', 'size'], ctx),
            mode: tmpfs.mode === undefined ? undefined : Number(tmpfs.mode),
          }
        : undefined,
      consistency: opt(raw.consistency),
    };
  }
  const text = str(raw);
  const parts = text.split(':');
  if (parts.length === 1) return { type: 'volume', target: text, read_only: false };
  if (parts.length > 3 || parts.some((p) => p === '')) {
    ctx.err(
      at,
      `${JSON.stringify(text)} is not a volume`,
      'write SOURCE:TARGET[:MODE], e.g. "./src:/app:ro" or "data:/var/lib/data"',
    );
    return undefined;
  }
  const [src, target, mode = ''] = parts as [string, string, string?];
  const modes = mode ? mode.split(',') : [];
  const knownModes = [
    'ro',
    'rw',
    'z',
    'Z',
    'nocopy',
    'cached',
    'delegated',
    'consistent',
    'shared',
    'rshared',
    'slave',
    'rslave',
    'private',
    'rprivate',
  ];
  for (const m of modes) {
    if (!knownModes.includes(m)) {
      ctx.err(
        at,
        `unknown volume mode ${JSON.stringify(m)}`,
        'use ro or rw (optionally z, Z, nocopy, a propagation mode)',
      );
      return undefined;
    }
  }
  if (!target.startsWith('/')) {
    ctx.err(at, `the target ${JSON.stringify(target)} must be an absolute path inside the container`);
    return undefined;
  }
  const readOnly = modes.includes('ro');
  if (isPathLike(src)) {
    const propagation = modes.find((m) => /^r?(shared|slave|private)$/.test(m));
    const selinux = modes.find((m) => m === 'z' || m === 'Z') as 'z' | 'Z' | undefined;
    return {
      type: 'bind',
      source: resolvePath(src, ctx),
      target,
      read_only: readOnly,
      bind: {
        create_host_path: true,
        ...(propagation ? { propagation } : {}),
        ...(selinux ? { selinux } : {}),
      },
    };
  }
  checkVolume(src, at, ctx);
  return {
    type: 'volume',
    source: src,
    target,
    read_only: readOnly,
    ...(modes.includes('nocopy') ? { volume: { nocopy: true } } : {}),
  };
}

function checkVolume(name: string, at: Path, ctx: SvcCtx) {
  if (!Object.hasOwn(ctx.volumes, name)) {
    const known = Object.keys(ctx.volumes);
    ctx.err(
      at,
      `volume \`${name}\` is not declared in the top-level \`volumes:\``,
      `add \`volumes: { ${name}: {} }\` at the top level${known.length ? ` (declared: ${known.join(', ')})` : ''}, or use ./${name} for a host directory`,
    );
  }
}

/** Service `secrets:` / `configs:` backed by files become read-only bind mounts, as Compose does outside swarm. */
function fileRefs(raw: unknown, kind: 'secrets' | 'configs', at: Path, ctx: SvcCtx): MountSpec[] {
  const top = kind === 'secrets' ? ctx.secrets : ctx.configs;
  const out: MountSpec[] = [];
  list(raw).forEach((ref, i) => {
    const p = [...at, kind, i];
    const r: Obj = isObj(ref) ? ref : { source: ref };
    const name = str(r.source);
    const def = top[name];
    if (!Object.hasOwn(top, name)) {
      ctx.err(
        p,
        `${kind === 'secrets' ? 'secret' : 'config'} \`${name}\` is not declared in the top-level \`${kind}:\``,
        `declare it: \`${kind}: { ${name}: { file: ./${name}.txt } }\``,
      );
      return;
    }
    const d = isObj(def) ? def : {};
    if (d.file === undefined) {
      const which =
        d.environment !== undefined
          ? 'environment'
          : d.content !== undefined
            ? 'content'
            : d.external !== undefined
              ? 'external'
              : 'no file';
      ctx.err(
        [kind, name],
        `berth does not support ${kind} from \`${which}\` yet; only \`file:\``,
        `write the value to a file and use \`file: ./${name}\``,
      );
      return;
    }
    const ignored = ['uid', 'gid', 'mode'].filter((k) => r[k] !== undefined);
    if (ignored.length > 0) {
      const pos = ctx.sources.locate(p);
      ctx.warnings.push(
        `${pos ? `${pos.pos.file}:${pos.pos.line}: ` : ''}${ignored.map((k) => `\`${k}\``).join(', ')} of ${kind === 'secrets' ? 'secret' : 'config'} \`${name}\` ignored: a file-backed ${kind === 'secrets' ? 'secret' : 'config'} is bind-mounted with the file's own owner and mode`,
      );
    }
    const base = kind === 'secrets' ? '/run/secrets/' : '/';
    const target = r.target
      ? str(r.target).startsWith('/')
        ? str(r.target)
        : base + str(r.target)
      : base + name;
    out.push({
      type: 'bind',
      source: resolvePath(str(d.file), ctx),
      target,
      read_only: true,
      bind: { create_host_path: false },
    });
  });
  return out;
}

const CONDITIONS: DependencyCondition[] = [
  'service_started',
  'service_healthy',
  'service_completed_successfully',
];

function dependsOn(raw: unknown, at: Path, ctx: SvcCtx): Record<string, Dependency> {
  const out: Record<string, Dependency> = {};
  if (raw === undefined || raw === null) return out;
  if (Array.isArray(raw)) {
    for (const n of raw) out[str(n)] = { condition: 'service_started', required: true, restart: false };
    return out;
  }
  if (!isObj(raw)) return out;
  for (const [name, v] of Object.entries(raw)) {
    const o = isObj(v) ? v : {};
    const condition = str(o.condition ?? 'service_started') as DependencyCondition;
    if (!CONDITIONS.includes(condition)) {
      ctx.err(
        [...at, name, 'condition'],
        `unknown condition ${condition}`,
        `use one of ${CONDITIONS.join(', ')}`,
      );
    }
    out[name] = {
      condition,
      required: o.required === undefined ? true : bool(o.required),
      restart: bool(o.restart),
    };
  }
  return out;
}

function healthcheck(raw: unknown, at: Path, ctx: SvcCtx): Healthcheck | undefined {
  if (!isObj(raw)) return undefined;
  let test: string[] = [];
  if (typeof raw.test === 'string') test = ['CMD-SHELL', raw.test];
  else if (Array.isArray(raw.test)) test = raw.test.map(str);
  const disable = bool(raw.disable) || test[0] === 'NONE';
  if (disable) test = ['NONE'];
  if (!disable && test.length > 0 && !['CMD', 'CMD-SHELL'].includes(test[0]!)) {
    ctx.err(
      [...at, 'test'],
      `a healthcheck test list starts with CMD, CMD-SHELL or NONE, not ${JSON.stringify(test[0])}`,
      'e.g. test: ["CMD", "curl", "-f", "http://localhost"]',
    );
  }
  return {
    test,
    intervalMs: duration(raw.interval, [...at, 'interval'], ctx),
    timeoutMs: duration(raw.timeout, [...at, 'timeout'], ctx),
    startPeriodMs: duration(raw.start_period, [...at, 'start_period'], ctx),
    startIntervalMs: duration(raw.start_interval, [...at, 'start_interval'], ctx),
    retries: raw.retries === undefined ? undefined : Number(raw.retries),
    disable,
  };
}

function duration(v: unknown, at: Path, ctx: SvcCtx): number | undefined {
  if (v === undefined || v === null) return undefined;
  const ms = parseDuration(v);
  if (ms === undefined)
    ctx.err(
      at,
      `${JSON.stringify(v)} is not a duration`,
      'write a number with a unit, e.g. 10s, 1m30s, 500ms',
    );
  return ms;
}

function bytes(v: unknown, at: Path, ctx: SvcCtx): number | undefined {
  if (v === undefined || v === null) return undefined;
  const b = parseBytes(v);
  if (b === undefined)
    ctx.err(at, `${JSON.stringify(v)} is not a size`, 'write a number with a unit, e.g. 512m, 1.5g, 100k');
  return b;
}

function serviceNetworks(raw: unknown, at: Path, ctx: SvcCtx): Record<string, ServiceNetwork> {
  const out: Record<string, ServiceNetwork> = {};
  if (raw === undefined || raw === null) return { default: { aliases: [] } };
  const entries: Array<[string, unknown, Path]> = Array.isArray(raw)
    ? raw.map((n, i) => [str(n), null, [...at, i]])
    : Object.entries(isObj(raw) ? raw : {}).map(([k, v]) => [k, v, [...at, k]]);
  for (const [name, v, p] of entries) {
    if (name !== 'default' && !Object.hasOwn(ctx.networks, name)) {
      const known = Object.keys(ctx.networks);
      ctx.err(
        p,
        `network \`${name}\` is not declared in the top-level \`networks:\``,
        `add \`networks: { ${name}: {} }\` at the top level${known.length ? ` (declared: ${known.join(', ')})` : ''}`,
      );
      continue;
    }
    const o = isObj(v) ? v : {};
    out[name] = {
      aliases: strList(o.aliases),
      ipv4_address: opt(o.ipv4_address),
      ipv6_address: opt(o.ipv6_address),
      priority: o.priority === undefined ? undefined : Number(o.priority),
      mac_address: opt(o.mac_address),
    };
  }
  return out;
}

function extraHosts(raw: unknown): string[] {
  if (isObj(raw)) {
    return Object.entries(raw).flatMap(([h, ip]) => list(ip).map((x) => `${h}:${str(x)}`));
  }
  return strList(raw).map((e) => (e.includes('=') ? e.replace('=', ':') : e));
}

function ulimits(raw: unknown, at: Path, ctx: SvcCtx): Record<string, { soft: number; hard: number }> {
  const out: Record<string, { soft: number; hard: number }> = {};
  if (!isObj(raw)) return out;
  for (const [k, v] of Object.entries(raw)) {
    if (isObj(v)) {
      const soft = Number(v.soft);
      const hard = Number(v.hard);
      if (!Number.isInteger(soft) || !Number.isInteger(hard))
        ctx.err([...at, k], 'soft and hard must be whole numbers');
      out[k] = { soft, hard };
    } else {
      const n = Number(v);
      if (!Number.isInteger(n)) ctx.err([...at, k], `${JSON.stringify(v)} is not a whole number`);
      out[k] = { soft: n, hard: n };
    }
  }
  return out;
}

function resources(s: Obj, at: Path, ctx: SvcCtx): Resources {
  const r: Resources = {};
  const deploy = isObj(s.deploy) ? s.deploy : {};
  const res = isObj(deploy.resources) ? deploy.resources : {};
  const limits = isObj(res.limits) ? res.limits : {};
  const reservations = isObj(res.reservations) ? res.reservations : {};
  const rp: Path = [...at, 'deploy', 'resources'];
  const cpus = limits.cpus ?? s.cpus;
  if (cpus !== undefined) {
    const n = Number(cpus);
    if (!Number.isFinite(n) || n < 0)
      ctx.err(
        limits.cpus !== undefined ? [...rp, 'limits', 'cpus'] : [...at, 'cpus'],
        `${JSON.stringify(cpus)} is not a number of CPUs`,
        'e.g. 0.5 or 2',
      );
    else r.nanoCpus = Math.round(n * 1e9);
  }
  const mem = limits.memory ?? s.mem_limit;
  if (mem !== undefined)
    r.memoryBytes = bytes(
      mem,
      limits.memory !== undefined ? [...rp, 'limits', 'memory'] : [...at, 'mem_limit'],
      ctx,
    );
  const memRes = reservations.memory ?? s.mem_reservation;
  if (memRes !== undefined)
    r.memoryReservationBytes = bytes(
      memRes,
      reservations.memory !== undefined ? [...rp, 'reservations', 'memory'] : [...at, 'mem_reservation'],
      ctx,
    );
  const pids = limits.pids ?? s.pids_limit;
  if (pids !== undefined) r.pidsLimit = Number(pids);
  if (s.shm_size !== undefined) r.shmSizeBytes = bytes(s.shm_size, [...at, 'shm_size'], ctx);
  if (s.cpu_shares !== undefined) r.cpuShares = Number(s.cpu_shares);
  if (s.cpuset !== undefined) r.cpuset = str(s.cpuset);
  return r;
}
