// Merged, validated Compose model → typed Stack in long form. Every short syntax is expanded here so the rest
// of berth never re-parses Compose strings. Problems are collected and reported together.

import { BerthError, BerthErrors } from '../errors.js';
import { resourceName } from '../model/index.js';
import { FileReadError, readBounded } from './bounded-read.js';
import { crossChecks, type PortLine, portLines } from './checks.js';
import { envFileVars, parseEnvFile } from './envfile.js';
import { hooks, preStartHooks, provider } from './hooks.js';
import { oneMountPerTarget, toKvMap } from './merge.js';
import { fileRefs, mount } from './mounts.js';
import {
  bool,
  bytes,
  duration,
  isObj,
  list,
  type NormalizeContext,
  networkKeysByPriority,
  type Obj,
  opt,
  resolvePath,
  type SvcCtx,
  str,
  stringMap,
  strList,
} from './normalize-common.js';
import { ports } from './ports.js';
import { watchRules } from './develop.js';

export type { NormalizeContext } from './normalize-common.js';

import type {
  ApiRequirement,
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
  WebEntry,
} from '../model/stack.js';
import { displayPath } from './paths.js';
import type { Path } from './source.js';
import { shellSplit } from './units.js';

export function normalizeStack(model: Obj, ctx: NormalizeContext): Stack {
  const errors: BerthError[] = [];
  const err = (p: Path, msg: string, hint?: string, kind?: 'key' | 'value') =>
    errors.push(ctx.sources.error(p, msg, { hint, kind }));
  const servicesRaw = isObj(model.services) ? model.services : {};
  const active = new Set(ctx.profiles);
  const services: Record<string, Service> = {};
  const disabled: string[] = [];
  const allProfiles = new Set<string>();

  const volumes: Record<string, VolumeSpec> = {};
  for (const [key, raw] of Object.entries(isObj(model.volumes) ? model.volumes : {})) {
    const v = isObj(raw) ? raw : {};
    const external = bool(v.external) || isObj(v.external);
    volumes[key] = {
      name:
        v.name !== undefined ? str(v.name) : external ? externalName(v, key) : resourceName(ctx.project, key),
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
  if (model.models !== undefined) noModelRunner(['models'], err);

  for (const [name, raw] of Object.entries(servicesRaw)) {
    const at: Path = ['services', name];
    const s = isObj(raw) ? raw : {};
    const profiles = strList(s.profiles);
    for (const p of profiles) if (p) allProfiles.add(p);
    if (profiles.length > 0 && !active.has('*') && !profiles.some((p) => active.has(p))) {
      disabled.push(name);
      continue;
    }
    const lookup = ctx.lookupFor?.(name) ?? ctx.lookup;
    services[name] = service(name, s, at, { ...ctx, lookup, volumes, networks, secrets, configs, err });
  }
  // The implicit default network exists only when some service uses it.
  if (Object.values(services).some((s) => Object.hasOwn(s.networks, 'default')) && !networks.default) {
    networks.default = network('default', {}, ctx.project);
  }
  if (errors.length === 0) crossChecks(services, ctx, err);
  // a `service:NAME` context is NAME's image: its `image:`, or the name berth tags its build with
  for (const svc of Object.values(services)) {
    const after = svc.build?.after;
    if (!after) continue;
    svc.build!.serviceImages = Object.fromEntries(
      after.flatMap((n) => (Object.hasOwn(services, n) ? [[n, services[n]!.image]] : [])),
    );
  }
  const web = webEntry(model['x-berth'], services, disabled, err);
  if (errors.length > 0) throw errors.length === 1 ? errors[0] : new BerthErrors(errors);
  return {
    name: ctx.name,
    client: ctx.client,
    project: ctx.project,
    workingDir: ctx.workingDir,
    files: ctx.files,
    services,
    disabledServices: disabled,
    profiles: [...allProfiles].sort(),
    networks,
    volumes,
    ...(web ? { web } : {}),
    warnings: ctx.warnings,
  };
}

/**
 * The service the client router sends a client's requests to (`berth use A B`): `x-berth.web` when given,
 * else the first service (in file order) that publishes a port, on that port's container side.
 */
function webEntry(
  xb: unknown,
  services: Record<string, Service>,
  disabled: string[],
  err: (p: Path, msg: string, hint?: string, kind?: 'key' | 'value') => void,
): WebEntry | undefined {
  const w = isObj(xb) && isObj(xb.web) ? xb.web : undefined;
  if (!w) {
    const first = Object.values(services).find((s) => s.ports.length > 0);
    return first ? { service: first.name, port: first.ports[0]!.target } : undefined;
  }
  const at: Path = ['x-berth', 'web'];
  const name = str(w.service);
  const svc = Object.hasOwn(services, name) ? services[name] : undefined;
  if (!svc) {
    err(
      [...at, 'service'],
      disabled.includes(name)
        ? `web service "${name}" is disabled by its profiles`
        : `web service "${name}" is not a service of this stack`,
      `name one of: ${Object.keys(services).join(', ') || '(no services)'}`,
    );
    return undefined;
  }
  if (w.port === undefined) {
    const port = svc.ports[0]?.target ?? Number(svc.expose[0]?.split('/')[0]);
    if (Number.isInteger(port) && port > 0) return { service: name, port };
    err(
      at,
      `web service "${name}" publishes and exposes no port, so the router cannot tell which port to use`,
      'add `port:` (the container port its web server listens on)',
    );
    return undefined;
  }
  const port = Number(w.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    err([...at, 'port'], `web port ${JSON.stringify(w.port)} is not a port number`, 'use 1-65535');
    return undefined;
  }
  return { service: name, port };
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
              ...(isObj(o.aux_addresses) ? { aux_addresses: stringMap(o.aux_addresses) } : {}),
            };
          }),
          options: stringMap(ipam.options),
        }
      : undefined,
    labels: stringMap(toKvMap(v.labels ?? {})),
  };
}

/** Old syntax `external: { name: x }` names the engine object; otherwise an external object keeps its key. */
function externalName(v: Obj, key: string): string {
  return isObj(v.external) && v.external.name !== undefined ? str(v.external.name) : key;
}

function service(name: string, s: Obj, at: Path, ctx: SvcCtx): Service {
  const { err } = ctx;
  const build = s.build === undefined ? undefined : buildSpec(s.build, [...at, 'build'], ctx);
  let image = s.image === undefined ? undefined : str(s.image);
  const providerSpec = provider(s, at, ctx);
  if (!image && !build && !providerSpec) {
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
  const readOnly = bool(s.read_only);
  const secretRefs = fileRefs(s.secrets, 'secrets', at, ctx, readOnly);
  const configRefs = fileRefs(s.configs, 'configs', at, ctx, readOnly);
  // One mount per container path, as Compose: volumes, then secrets and configs where no volume is.
  const volumesOut = oneMountPerTarget(
    list(s.volumes)
      .map((v, i) => mount(v, [...at, 'volumes', i], ctx))
      .filter(Boolean) as MountSpec[],
    secretRefs.mounts,
    configRefs.mounts,
  );
  if (s.models !== undefined) noModelRunner([...at, 'models'], err);
  const networkMode = s.network_mode === undefined ? undefined : str(s.network_mode);
  if (
    networkMode &&
    (Array.isArray(s.networks)
      ? s.networks.length > 0
      : isObj(s.networks) && Object.keys(s.networks).length > 0)
  )
    err(
      [...at, 'networks'],
      '`network_mode` and `networks` cannot be used together',
      'remove `networks`, or remove `network_mode` (Compose rejects both at once)',
    );
  const networks = networkMode ? {} : serviceNetworks(s.networks, [...at, 'networks'], ctx);
  const lines: PortLine[] = [];
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
    ports: portsOf(s.ports, at, ctx, lines),
    expose: strList(s.expose),
    volumes: volumesOut,
    volumes_from: strList(s.volumes_from),
    tmpfs: strList(s.tmpfs),
    depends_on: dependsOn(s.depends_on, [...at, 'depends_on'], ctx),
    healthcheck: healthcheck(s.healthcheck, [...at, 'healthcheck'], ctx),
    networks,
    network_mode: networkMode,
    ipc: s.ipc === undefined ? undefined : str(s.ipc),
    pid: s.pid === undefined ? undefined : str(s.pid),
    links: strList(s.links),
    // a provider service has no containers: its binary stands for it
    replicas: providerSpec ? 0 : Number.isInteger(replicas) && replicas >= 0 ? replicas : 1,
    labels: {
      ...labelFiles(s.label_file, [...at, 'label_file'], ctx),
      ...stringMap(toKvMap(s.labels ?? {})),
    },
    user: opt(s.user),
    working_dir: opt(s.working_dir),
    hostname: opt(s.hostname),
    domainname: opt(s.domainname),
    restart: restartOf(s, at, ctx),
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
    cgroup_parent: opt(s.cgroup_parent),
    device_cgroup_rules: strList(s.device_cgroup_rules),
    external_links: strList(s.external_links),
    uts: opt(s.uts),
    storage_opt: stringMap(s.storage_opt),
    files: [...secretRefs.files, ...configRefs.files],
    post_start: hooks(s, 'post_start', at, ctx),
    pre_stop: hooks(s, 'pre_stop', at, ctx),
    pre_start: preStartHooks(s, at, ctx),
    provider: providerSpec,
    ...(s.develop !== undefined ? { watch: watchRules(s.develop, [...at, 'develop'], ctx) } : {}),
    needsApi: apiRequirements(s, at, networks, ctx),
    keyAt: keyPositions(s, at, ctx),
    pos: ctx.sources.locate(at, 'key')?.pos,
    refs: refsOf(s, at, ctx),
  };
  portLines.set(svc, lines);
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
  if (svc.uts !== undefined && svc.uts !== '' && svc.uts !== 'host') {
    err([...at, 'uts'], `${JSON.stringify(svc.uts)} is not a UTS mode`, 'the only UTS mode is `host`');
  }
  const primary = networkKeysByPriority(networks)[0];
  const primaryMac = primary ? networks[primary]?.mac_address : undefined;
  if (svc.mac_address && primaryMac && primaryMac !== svc.mac_address) {
    err(
      [...at, 'mac_address'],
      `the service's mac_address ${svc.mac_address} differs from the one on its network \`${primary}\` (${primaryMac})`,
      'set the MAC address in one place',
    );
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
    ...buildKitKeys(b, at, ctx),
  };
}

/** Values of `additional_contexts` berth passes as written; anything else is a path, relative to the file. */
const CONTEXT_REF = /^(docker-image:\/\/|service:|oci-layout:\/\/|https?:\/\/|git@|git:\/\/|github\.com\/)/;

/**
 * The build keys only BuildKit honours. They load (a file that uses them is a valid Compose file) and are
 * kept with their lines, so a build on the classic builder stops naming each one instead of ignoring it;
 * `service:NAME` contexts also order the builds.
 */
function buildKitKeys(b: Obj, at: Path, ctx: SvcCtx): Partial<BuildSpec> {
  const out: Partial<BuildSpec> = {};
  const needs: Array<{ key: string; at: string }> = [];
  // additional_contexts is not among them: berth serves named contexts on every builder (named-contexts.ts)
  for (const key of ['ssh', 'secrets', 'entitlements', 'privileged']) {
    if (b[key] === undefined || b[key] === null) continue;
    if (key === 'privileged' && !bool(b[key])) continue;
    const p = [...at, key];
    const where = ctx.sources.locate(p, 'key');
    needs.push({ key: displayPath(p), at: where ? `${where.pos.file}:${where.pos.line}` : displayPath(p) });
  }
  if (needs.length > 0) out.needsBuildKit = needs;
  if (b.ssh !== undefined && b.ssh !== null)
    out.ssh = Object.entries(toKvMap(b.ssh)).map(([k, v]) =>
      v === null || v === undefined ? k : `${k}=${str(v)}`,
    );
  if (Array.isArray(b.secrets))
    out.secrets = b.secrets.map((s) => {
      const ref: NonNullable<BuildSpec['secrets']>[number] = isObj(s)
        ? { source: str(s.source), ...(s.target === undefined ? {} : { target: str(s.target) }) }
        : { source: str(s) };
      // What the builder reads, as Compose hands it to BuildKit: a file, or a variable's value
      const d = ctx.secrets[ref.source];
      if (isObj(d) && d.file !== undefined) ref.file = resolvePath(str(d.file), ctx);
      else if (isObj(d) && d.environment !== undefined) {
        ref.environment = str(d.environment);
        ref.value = ctx.lookup(ref.environment);
      }
      return ref;
    });
  if (b.entitlements !== undefined && b.entitlements !== null) out.entitlements = strList(b.entitlements);
  if (b.privileged !== undefined && b.privileged !== null) out.privileged = bool(b.privileged);
  if (b.additional_contexts !== undefined && b.additional_contexts !== null) {
    const contexts: Record<string, string> = {};
    const after: string[] = [];
    for (const [name, v] of Object.entries(toKvMap(b.additional_contexts))) {
      const value = v === null || v === undefined ? '' : str(v);
      if (value.startsWith('service:')) after.push(value.slice('service:'.length));
      contexts[name] = CONTEXT_REF.test(value) ? value : resolvePath(value, ctx);
      const where =
        ctx.sources.locate([...at, 'additional_contexts', name], 'value') ??
        ctx.sources.locate([...at, 'additional_contexts'], 'key');
      if (where) out.contextsAt = { ...out.contextsAt, [name]: where.pos };
    }
    out.additional_contexts = contexts;
    if (after.length > 0) out.after = after;
  }
  if (Array.isArray(b.secrets)) {
    b.secrets.forEach((s, i) => {
      const source = isObj(s) ? str(s.source) : str(s);
      if (!Object.hasOwn(ctx.secrets, source))
        ctx.err(
          [...at, 'secrets', i],
          `secret \`${source}\` is not declared`,
          'declare it under the top-level `secrets:`',
        );
    });
  }
  return out;
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
  // The env files of a service the verb does not run are not read: a missing one must not stop `up other`.
  const reads = ctx.readsEnvFiles?.(String(at[1])) ?? true;
  const out: Record<string, string> = reads
    ? envFileVars(s.env_file, [...at, 'env_file'], { ...ctx, resolve: (p) => resolvePath(p, ctx) })
    : {};
  for (const [k, v] of Object.entries(toKvMap(s.environment ?? {}))) {
    if (v === null || v === undefined) {
      // `- KEY` / `KEY:` with no value: taken from the environment, dropped when unset (as Compose)
      const val = ctx.lookup(k);
      if (val !== undefined) out[k] = val;
    } else out[k] = typeof v === 'object' ? JSON.stringify(v) : str(v);
  }
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

/** The service's ports, noting in `lines` which of them each line of the file expanded into. */
function portsOf(raw: unknown, at: Path, ctx: SvcCtx, lines: PortLine[]): PortSpec[] {
  const all: PortSpec[] = [];
  list(raw).forEach((p, i) => {
    const line = [...at, 'ports', i];
    const out = ports(p, line, ctx);
    lines.push({ at: line, from: all.length, count: out.length });
    // a loop, not push(...out): a range of 65,535 ports is too many arguments for one call
    for (const spec of out) all.push(spec);
  });
  return all;
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
      link_local_ips: strList(o.link_local_ips),
      interface_name: opt(o.interface_name),
      gw_priority: o.gw_priority === undefined ? undefined : Number(o.gw_priority),
      driver_opts: stringMap(o.driver_opts),
    };
    for (const k of ['priority', 'gw_priority'] as const) {
      const v = out[name]![k];
      if (v !== undefined && !Number.isInteger(v))
        ctx.err([...p, k], `${JSON.stringify(o[k])} is not a whole number`);
    }
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
  if (reservations.generic_resources !== undefined) {
    r.genericResources = list(reservations.generic_resources).map((g) => {
      const spec = isObj(g) && isObj(g.discrete_resource_spec) ? g.discrete_resource_spec : {};
      return { kind: str(spec.kind), value: Number(spec.value ?? 0) };
    });
  }
  return r;
}

/** `models` need a model runner (Docker Model Runner), which is not part of the engine: say so at the line. */
function noModelRunner(at: Path, err: SvcCtx['err']): void {
  err(
    at,
    'needs a model runner (Docker Model Runner), and berth does not provide one',
    'remove `models`; run the model server as a service of its own and pass its URL in `environment`',
    'key',
  );
}

/**
 * `label_file`: labels read from files in env-file syntax, later files over earlier ones, `labels:` over all
 * of them. As in compose-go, `${VAR}` in a label file sees only labels read before it, not the shell.
 */
function labelFiles(raw: unknown, at: Path, ctx: SvcCtx): Record<string, string> {
  const out: Record<string, string> = {};
  list(raw).forEach((entry, i) => {
    const file = resolvePath(str(entry), ctx);
    const p = Array.isArray(raw) ? [...at, i] : at;
    let text: string;
    try {
      text = readBounded(file, ctx.show(file), 'label file');
    } catch (e) {
      const missing = e instanceof FileReadError && e.reason === 'missing';
      ctx.err(p, (e as Error).message, missing ? 'create it or fix the path' : (e as FileReadError).hint);
      return;
    }
    try {
      Object.assign(
        out,
        parseEnvFile(text, ctx.show(file), (k) => out[k]),
      );
    } catch (e) {
      // the file's own error points at its line; keep it
      if (e instanceof BerthError) throw e;
      ctx.err(p, (e as Error).message);
    }
  });
  return out;
}

/** Engine API versions that brought a key (from docker/compose's api_versions.go and the Engine API changelog). */
const API = {
  endpointMac: { api: '1.44', engine: 'Docker Engine 25.0' },
  gwPriority: { api: '1.48', engine: 'Docker Engine 28.0' },
  imageMount: { api: '1.48', engine: 'Docker Engine 28.0' },
  interfaceName: { api: '1.49', engine: 'Docker Engine 28.1' },
};

/** Keys of this service that an engine older than some API version cannot honour, with where they are written. */
function apiRequirements(
  s: Obj,
  at: Path,
  networks: Record<string, ServiceNetwork>,
  ctx: SvcCtx,
): ApiRequirement[] {
  const out: ApiRequirement[] = [];
  const need = (p: Path, v: { api: string; engine: string }, value = '') => {
    const where = ctx.sources.locate(p, 'key');
    out.push({ key: `${displayPath(p)}${value}`, ...v, pos: where?.pos, frame: where?.frame });
  };
  list(s.volumes).forEach((v, i) => {
    if (isObj(v) && v.type === 'image') need([...at, 'volumes', i, 'type'], API.imageMount, ': image');
  });
  const primary = networkKeysByPriority(networks)[0];
  for (const [key, n] of Object.entries(networks)) {
    const p = [...at, 'networks', key];
    if (n.gw_priority !== undefined) need([...p, 'gw_priority'], API.gwPriority);
    if (n.interface_name !== undefined) need([...p, 'interface_name'], API.interfaceName);
    // Before API 1.44 a MAC address is the container's, set at create on its primary network only.
    if (n.mac_address !== undefined && key !== primary) need([...p, 'mac_address'], API.endpointMac);
  }
  return out;
}

/** `file:line` of keys the engine may refuse at create, so its refusal can name the key (see engine/containers.ts). */
function keyPositions(s: Obj, at: Path, ctx: SvcCtx): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of ['storage_opt', 'cgroup_parent', 'device_cgroup_rules', 'external_links', 'uts']) {
    if (s[k] === undefined) continue;
    const where = ctx.sources.locate([...at, k], 'key');
    out[k] = where ? `${where.pos.file}:${where.pos.line}` : displayPath([...at, k]);
  }
  return out;
}

/**
 * `deploy.restart_policy` is applied to the container as Compose does (and wins over `restart`): condition
 * none → no, on-failure (with max_attempts) → on-failure[:N], any → always.
 */
function restartOf(s: Obj, at: Path, ctx: SvcCtx): string | undefined {
  const policy = isObj(s.deploy) && isObj(s.deploy.restart_policy) ? s.deploy.restart_policy : undefined;
  if (!policy) return opt(s.restart);
  // No condition: Compose hands the engine an empty policy name, which is no restart.
  const condition = policy.condition === undefined ? 'none' : str(policy.condition);
  switch (condition) {
    case 'none':
    case 'no':
      return 'no';
    case 'any':
    case 'always':
      return 'always';
    case 'unless-stopped':
      return 'unless-stopped';
    case 'on-failure': {
      const n = policy.max_attempts === undefined ? 0 : Number(policy.max_attempts);
      return n > 0 ? `on-failure:${n}` : 'on-failure';
    }
    default:
      ctx.err(
        [...at, 'deploy', 'restart_policy', 'condition'],
        `unknown restart condition ${JSON.stringify(condition)}`,
        'use none, on-failure or any',
      );
      return undefined;
  }
}
