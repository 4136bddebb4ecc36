// The normalized stack → swarm objects (services, overlay networks, volumes, secrets, configs). Pure: file
// contents and image references come in through `opts`. Every Compose service key the file uses gets an
// outcome (KEYS below): translated into the service spec, handled by berth around the swarm (build, depends_on),
// or reported with its file:line because Swarm has no equivalent. Nothing is dropped silently.
//
// Two defaults differ from `docker stack deploy`, because the ingress routing mesh and VIPs need IPVS, which
// not every kernel has: ports are published in `mode: host` (on the node running the task) unless the file says
// `mode: ingress`, and services use `endpoint_mode: dnsrr` (the service name resolves to its tasks' addresses)
// unless the file says `vip` or a port uses the mesh.
import { createHash } from 'node:crypto';
import path from 'node:path';
import { composeModels, composeSources } from '../compose/canonical.js';
import { parseBytes, parseDuration } from '../compose/units.js';
import type {
  SwarmFileRef,
  SwarmMount,
  SwarmPort,
  SwarmServiceSpec,
  SwarmUpdatePolicy,
} from '../engine/swarm-port.js';
import { Label, type Labels, ownerLabels } from '../model/labels.js';
import type { Dependency, Stack } from '../model/stack.js';

export type Outcome = 'translated' | 'handled' | 'reported';

/** Written into the service spec: where. */
const TRANSLATED: Record<string, string> = {
  cap_add: 'ContainerSpec.CapabilityAdd',
  cap_drop: 'ContainerSpec.CapabilityDrop',
  command: 'ContainerSpec.Args',
  configs: 'swarm configs, versioned by content (a change rolls the service)',
  cpus: 'Resources.Limits.NanoCPUs',
  deploy:
    'replicas, mode, placement, resources, restart_policy, update_config, rollback_config, labels, endpoint_mode',
  dns: 'ContainerSpec.DNSConfig.Nameservers',
  dns_opt: 'ContainerSpec.DNSConfig.Options',
  dns_search: 'ContainerSpec.DNSConfig.Search',
  entrypoint: 'ContainerSpec.Command',
  environment: 'ContainerSpec.Env',
  extra_hosts: 'ContainerSpec.Hosts',
  group_add: 'ContainerSpec.Groups',
  healthcheck: 'ContainerSpec.Healthcheck (start_interval needs a newer engine: not sent)',
  hostname: 'ContainerSpec.Hostname',
  image: 'ContainerSpec.Image (a local-only image runs by its ID so no node asks a registry)',
  init: 'ContainerSpec.Init',
  labels: 'ContainerSpec.Labels (deploy.labels go on the service)',
  logging: 'TaskTemplate.LogDriver',
  mem_limit: 'Resources.Limits.MemoryBytes',
  mem_reservation: 'Resources.Reservations.MemoryBytes',
  networks: 'attachable overlay networks, with aliases',
  pids_limit: 'Resources.Limits.Pids',
  ports: 'EndpointSpec.Ports, mode host by default; no host IP: bound on every interface',
  read_only: 'ContainerSpec.ReadOnly',
  restart: 'RestartPolicy.Condition (deploy.restart_policy wins)',
  scale: 'Mode.Replicated.Replicas',
  secrets: 'swarm secrets, versioned by content (a change rolls the service)',
  stdin_open: 'ContainerSpec.OpenStdin',
  stop_grace_period: 'ContainerSpec.StopGracePeriod',
  stop_signal: 'ContainerSpec.StopSignal',
  sysctls: 'ContainerSpec.Sysctls',
  tmpfs: 'tmpfs mounts',
  tty: 'ContainerSpec.TTY',
  ulimits: 'ContainerSpec.Ulimits',
  user: 'ContainerSpec.User',
  volumes:
    'mounts; named volumes are created on each node a task lands on; a bind path must exist on every node',
  working_dir: 'ContainerSpec.Dir',
};

/** Done by berth around the swarm: how. */
const HANDLED: Record<string, string> = {
  attach: '`logs` follows every service',
  build: 'built locally, tagged by content, pushed to --registry; the service runs that reference',
  depends_on:
    'services are created in dependency order; service_healthy waits for healthy tasks; restart: true forces an update of the dependent',
  env_file: 'read by berth into the environment',
  expose: 'every port of a task is reachable on its overlay networks',
  extends: 'resolved by berth before translation',
  label_file: 'read by berth into the labels',
  profiles: 'applied by berth before translation',
  pull_policy: 'images are resolved by berth before the deploy',
};

/** Swarm has no equivalent: `up` names the key with its file:line, and why. */
const REPORTED: Record<string, string> = {
  annotations: 'service specs have no annotations on Swarm: not applied',
  cgroup_parent: 'Swarm tasks cannot choose a cgroup parent: not applied',
  container_name: 'Swarm names task containers itself: not applied',
  cpu_shares: 'no CPU shares on Swarm: not applied (use deploy.resources)',
  cpuset: 'no cpuset on Swarm: not applied',
  develop: 'watch mode is local only: not applied',
  device_cgroup_rules: 'not available to Swarm tasks: not applied',
  devices: 'Swarm tasks cannot map devices: not applied',
  domainname: 'no domain name on Swarm tasks: not applied',
  external_links: 'no links on Swarm: not applied',
  ipc: 'no IPC mode on Swarm: not applied',
  links: 'no links on Swarm; the service name resolves on the shared networks',
  mac_address: 'Swarm tasks cannot choose a MAC address: not applied',
  models: 'no model runner on Swarm: not applied',
  network_mode: 'Swarm tasks join overlay networks only: not applied',
  pid: 'no PID mode on Swarm: not applied',
  platform: 'use deploy.placement.constraints (node.platform.arch): not applied',
  post_start: 'Swarm runs no lifecycle hooks: not applied',
  pre_start: 'Swarm runs no lifecycle hooks: not applied',
  pre_stop: 'Swarm runs no lifecycle hooks: not applied',
  privileged: 'Swarm services cannot run privileged: not applied',
  provider: 'provider services are run by berth up only: not applied on Swarm',
  runtime: 'Swarm tasks use the default runtime: not applied',
  security_opt: 'not available to Swarm tasks: not applied',
  shm_size: 'no shm size on Swarm (mount a tmpfs at /dev/shm): not applied',
  storage_opt: 'not available to Swarm tasks: not applied',
  uts: 'no UTS mode on Swarm: not applied',
  volumes_from: 'no shared container volumes on Swarm: not applied',
};

/** What each Compose service key becomes on Swarm (docs/swarm.md's table is this one), in key order. */
export const KEYS: Record<string, { outcome: Outcome; note: string }> = Object.fromEntries(
  (
    [
      ['translated', TRANSLATED],
      ['handled', HANDLED],
      ['reported', REPORTED],
    ] as const
  )
    .flatMap(([outcome, notes]) =>
      Object.entries(notes).map(([key, note]) => [key, { outcome, note }] as const),
    )
    .sort(([a], [b]) => (a < b ? -1 : 1)),
);

export interface KeyReport {
  service: string;
  key: string;
  outcome: Outcome;
  note: string;
  /** `file:line` where the key is written. */
  at?: string;
}

export interface SwarmServicePlan {
  service: string;
  spec: SwarmServiceSpec;
  /** Hash of the spec, also its `dev.berth.config-hash` label. */
  hash: string;
  depends_on: Record<string, Dependency>;
}

export interface SwarmObjectSpec {
  kind: 'secret' | 'config';
  key: string;
  /** Versioned name (`<project>_<key>-<hash>`), or the external object's own name. */
  name: string;
  external: boolean;
  labels: Labels;
  data?: Buffer;
}

export interface Translation {
  project: string;
  services: SwarmServicePlan[];
  networks: Array<{ key: string; name: string; external: boolean; internal: boolean; labels: Labels }>;
  objects: SwarmObjectSpec[];
  reports: KeyReport[];
  /** Said once per deploy (ports bound on every interface, bind paths on every node). */
  warnings: string[];
}

export interface TranslateOptions {
  /** The image reference each service runs (build pushed, local image ID…); the service's `image` if absent. */
  images?: Record<string, string>;
  /** Contents of a secret or config file (absolute path). */
  read: (file: string) => Buffer;
}

// biome-ignore lint/suspicious/noExplicitAny: loosely typed JSON (Compose model, Docker answers), read defensively
type Obj = Record<string, any>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);
const ns = (ms: number | undefined) => (ms === undefined ? undefined : Math.round(ms * 1e6));
const durNs = (v: unknown) => ns(parseDuration(v));
const num = (v: unknown) => (v === undefined ? undefined : Number(v));
const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

/** Stable JSON (sorted keys, no undefined) for hashing. */
function stable(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stable).join(',')}]`;
  if (isObj(v))
    return `{${Object.keys(v)
      .filter((k) => v[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stable(v[k])}`)
      .join(',')}}`;
  return JSON.stringify(v);
}

export const specHash = (spec: SwarmServiceSpec) =>
  sha(stable({ ...spec, labels: { ...spec.labels, [Label.configHash]: undefined } }));

export function translate(stack: Stack, opts: TranslateOptions): Translation {
  const model: Obj = composeModels.get(stack) ?? {};
  const sources = composeSources.get(stack);
  const at = (p: Array<string | number>) => {
    const l = sources?.locate(p);
    return l ? `${l.pos.file}:${l.pos.line}` : undefined;
  };
  const rawServices: Obj = isObj(model.services) ? model.services : {};
  const owner = ownerLabels(stack);
  const reports: KeyReport[] = [];
  const warnings = new Set<string>();

  // ---- secrets and configs: one swarm object per top-level key used, named by its content
  const objects = new Map<string, SwarmObjectSpec>();
  const objectFor = (
    kind: 'secret' | 'config',
    key: string,
    svcName: string,
  ): SwarmObjectSpec | undefined => {
    const id = `${kind}:${key}`;
    const hit = objects.get(id);
    if (hit) return hit;
    const top: Obj = isObj(model[`${kind}s`]) ? (model[`${kind}s`] as Obj) : {};
    const def: Obj = isObj(top[key]) ? top[key] : {};
    let o: SwarmObjectSpec;
    if (def.external === true || isObj(def.external)) {
      o = { kind, key, name: String(def.name ?? key), external: true, labels: {} };
    } else {
      let data: Buffer | undefined;
      if (def.file !== undefined) data = opts.read(path.resolve(stack.workingDir, String(def.file)));
      else {
        const injected = stack.services[svcName]?.files?.find((f) => f.kind === kind && f.name === key);
        data = Buffer.from(injected?.content ?? String(def.content ?? ''));
      }
      o = {
        kind,
        key,
        name: `${stack.project}_${key}-${sha(data).slice(0, 10)}`,
        external: false,
        labels: { ...owner, [`dev.berth.${kind}`]: key },
        data,
      };
    }
    objects.set(id, o);
    return o;
  };

  const networks = new Map<string, Translation['networks'][number]>();
  const services: SwarmServicePlan[] = [];
  for (const svc of Object.values(stack.services)) {
    const raw: Obj = isObj(rawServices[svc.name]) ? rawServices[svc.name] : {};
    const where = ['services', svc.name];
    for (const key of Object.keys(raw)) {
      const k = KEYS[key];
      if (!k) continue;
      if (key === 'privileged' && raw[key] === false) continue;
      reports.push({ service: svc.name, key, ...k, at: at([...where, key]) });
    }
    const deploy: Obj = isObj(raw.deploy) ? raw.deploy : {};

    // ---- files given to the service
    const fileRefs = (kind: 'secret' | 'config'): SwarmFileRef[] =>
      (Array.isArray(raw[`${kind}s`]) ? raw[`${kind}s`] : []).flatMap((r: unknown) => {
        const ref: Obj = typeof r === 'string' ? { source: r } : isObj(r) ? r : {};
        const key = String(ref.source ?? '');
        const o = objectFor(kind, key, svc.name);
        if (!o) return [];
        const target = kind === 'secret' ? String(ref.target ?? key) : String(ref.target ?? `/${key}`);
        return [
          {
            name: o.name,
            // Swarm places secrets under /run/secrets unless the target is absolute, as Compose.
            target,
            uid: String(ref.uid ?? '0'),
            gid: String(ref.gid ?? '0'),
            mode:
              typeof ref.mode === 'number'
                ? ref.mode
                : ref.mode
                  ? Number.parseInt(String(ref.mode), 8)
                  : 0o444,
          },
        ];
      });
    const secrets = fileRefs('secret');
    const configs = fileRefs('config');
    const fileTargets = new Set([
      ...secrets.map((f) => (f.target.startsWith('/') ? f.target : `/run/secrets/${f.target}`)),
      ...configs.map((f) => f.target),
    ]);

    // ---- mounts
    let namedVolumes = false;
    const mounts: SwarmMount[] = [];
    for (const m of svc.volumes) {
      if (fileTargets.has(m.target)) continue;
      if (m.type === 'volume') {
        const v = m.source ? stack.volumes[m.source] : undefined;
        if (v) namedVolumes = true;
        mounts.push({
          type: 'volume',
          source: v?.name,
          target: m.target,
          readOnly: m.read_only,
          volume: v
            ? {
                labels: v.external ? {} : { ...v.labels, ...owner, [Label.volume]: m.source! },
                driver: v.driver,
                options: v.driver_opts,
                noCopy: m.volume?.nocopy,
              }
            : undefined,
        });
      } else if (m.type === 'bind') {
        warnings.add(
          `bind mounts (${svc.name}: ${m.source}) must exist at the same path on every node the task may run on`,
        );
        mounts.push({
          type: 'bind',
          source: m.source,
          target: m.target,
          readOnly: m.read_only,
          bindPropagation: m.bind?.propagation,
        });
      } else if (m.type === 'tmpfs') {
        mounts.push({
          type: 'tmpfs',
          target: m.target,
          readOnly: false,
          tmpfs: { sizeBytes: m.tmpfs?.size, mode: m.tmpfs?.mode },
        });
      } else {
        reports.push({
          service: svc.name,
          key: `volumes (type: ${m.type})`,
          outcome: 'reported',
          note: `Swarm mounts are bind, volume or tmpfs: ${m.target} not mounted`,
          at: at([...where, 'volumes']),
        });
      }
    }
    for (const t of svc.tmpfs) {
      const [target, ...o] = t.split(':');
      const size = /size=([^,]+)/.exec(o.join(':'))?.[1];
      mounts.push({
        type: 'tmpfs',
        target: target!,
        readOnly: false,
        tmpfs: { sizeBytes: size ? parseBytes(size) : undefined },
      });
    }

    // ---- endpoint
    const endpointRaw = deploy.endpoint_mode === undefined ? undefined : String(deploy.endpoint_mode);
    const ports: SwarmPort[] = svc.ports.flatMap((p) => {
      const mode = p.mode ?? 'host';
      if (!p.published) return [{ target: p.target, protocol: p.protocol, mode }];
      const [a, b] = p.published.split('-').map(Number);
      const n = b === undefined ? 1 : b - a! + 1;
      return Array.from({ length: n }, (_, i) => ({
        target: p.target + i,
        published: a! + i,
        protocol: p.protocol,
        mode,
      }));
    });
    if (svc.ports.length)
      warnings.add(
        'Swarm cannot bind a host IP: every published port is bound on every interface of the node (ports are published in mode host here; the routing mesh needs `mode: ingress` and IPVS)',
      );
    const endpointMode: 'vip' | 'dnsrr' =
      endpointRaw === 'vip' || endpointRaw === 'dnsrr'
        ? endpointRaw
        : ports.some((p) => p.mode === 'ingress')
          ? 'vip'
          : 'dnsrr';

    // ---- policies
    const updatePolicy = (o: unknown): SwarmUpdatePolicy => {
      const u: Obj = isObj(o) ? o : {};
      return {
        parallelism: num(u.parallelism) ?? 1,
        delayNs: durNs(u.delay),
        failureAction: u.failure_action ?? 'rollback',
        monitorNs: durNs(u.monitor),
        maxFailureRatio: num(u.max_failure_ratio),
        // A stateless service keeps serving while it is replaced; two tasks must never share a named volume.
        order: u.order ?? (namedVolumes ? 'stop-first' : 'start-first'),
      };
    };
    const rp: Obj | undefined = isObj(deploy.restart_policy) ? deploy.restart_policy : undefined;
    const restartPolicy = ((): SwarmServiceSpec['restart'] => {
      if (rp)
        return {
          condition: rp.condition ?? 'any',
          delayNs: durNs(rp.delay),
          maxAttempts: num(rp.max_attempts),
          windowNs: durNs(rp.window),
        };
      const r = svc.restart ?? '';
      if (r === 'no') return { condition: 'none' };
      if (r.startsWith('on-failure')) {
        const n = Number(r.split(':')[1]);
        return { condition: 'on-failure', maxAttempts: Number.isInteger(n) ? n : undefined };
      }
      return { condition: 'any' };
    })();
    const placement: Obj = isObj(deploy.placement) ? deploy.placement : {};
    const res: Obj = isObj(deploy.resources) ? deploy.resources : {};
    const reservations: Obj = isObj(res.reservations) ? res.reservations : {};
    const mode = String(deploy.mode ?? 'replicated');
    if (mode !== 'replicated' && mode !== 'global')
      reports.push({
        service: svc.name,
        key: 'deploy.mode',
        outcome: 'reported',
        note: `\`${mode}\` needs a newer engine than berth speaks: deployed as replicated`,
        at: at([...where, 'deploy', 'mode']),
      });

    // ---- networks
    const nets = Object.entries(svc.networks).map(([key, n]) => {
      const spec = stack.networks[key];
      const name = spec?.name ?? `${stack.project}_${key}`;
      if (!networks.has(key))
        networks.set(key, {
          key,
          name,
          external: !!spec?.external,
          internal: !!spec?.internal,
          labels: { ...(spec?.labels ?? {}), ...owner, [Label.network]: key },
        });
      // As `docker stack deploy`: the service's own key is an alias on each of its networks, so `app` resolves
      // (the swarm service itself is `<project>_app`).
      return { name, aliases: [...new Set([svc.name, ...n.aliases])] };
    });

    const h = svc.healthcheck;
    const labels: Labels = {
      ...(isObj(deploy.labels) ? (deploy.labels as Labels) : {}),
      ...owner,
      [Label.service]: svc.name,
      // `docker stack ls/ps/rm` see berth's stacks too.
      'com.docker.stack.namespace': stack.project,
      ...(stack.files[0] ? { [Label.file]: stack.files[0] } : {}),
    };
    const spec: SwarmServiceSpec = {
      name: `${stack.project}_${svc.name}`,
      labels,
      image: opts.images?.[svc.name] ?? svc.image,
      command: svc.entrypoint,
      args: svc.command,
      env: Object.entries(svc.environment).map(([k, v]) => `${k}=${v}`),
      user: svc.user,
      workdir: svc.working_dir,
      hostname: svc.hostname,
      containerLabels: {
        ...svc.labels,
        ...owner,
        [Label.service]: svc.name,
        'com.docker.stack.namespace': stack.project,
      },
      healthcheck: h
        ? h.disable
          ? { test: ['NONE'] }
          : {
              test: h.test,
              intervalNs: ns(h.intervalMs),
              timeoutNs: ns(h.timeoutMs),
              startPeriodNs: ns(h.startPeriodMs),
              retries: h.retries,
            }
        : undefined,
      init: svc.init,
      stopSignal: svc.stop_signal,
      stopGraceNs: ns(svc.stopGracePeriodMs),
      tty: svc.tty || undefined,
      openStdin: svc.stdin_open || undefined,
      readOnly: svc.read_only || undefined,
      capAdd: svc.cap_add,
      capDrop: svc.cap_drop,
      groups: svc.group_add,
      sysctls: svc.sysctls,
      ulimits: Object.entries(svc.ulimits).map(([name, u]) => ({ name, soft: u.soft, hard: u.hard })),
      extraHosts: svc.extra_hosts,
      dns: { nameservers: svc.dns, search: svc.dns_search, options: svc.dns_opt },
      mounts,
      secrets,
      configs,
      resources: {
        limits: {
          nanoCpus: svc.resources.nanoCpus,
          memoryBytes: svc.resources.memoryBytes,
          pids: svc.resources.pidsLimit,
        },
        reservations: {
          nanoCpus: reservations.cpus === undefined ? undefined : Math.round(Number(reservations.cpus) * 1e9),
          memoryBytes: svc.resources.memoryReservationBytes,
        },
      },
      restart: restartPolicy,
      placement: {
        constraints: Array.isArray(placement.constraints) ? placement.constraints.map(String) : [],
        preferences: Array.isArray(placement.preferences)
          ? placement.preferences.flatMap((p: Obj) => (isObj(p) && p.spread ? [String(p.spread)] : []))
          : [],
        maxReplicas: num(placement.max_replicas_per_node),
      },
      mode: mode === 'global' ? { global: true } : { replicated: svc.replicas },
      update: updatePolicy(deploy.update_config),
      rollback: updatePolicy(deploy.rollback_config),
      networks: nets,
      endpointMode,
      ports,
      logDriver: svc.logging?.driver ? { name: svc.logging.driver, options: svc.logging.options } : undefined,
    };
    const hash = specHash(spec);
    spec.labels[Label.configHash] = hash;
    services.push({ service: svc.name, spec, hash, depends_on: svc.depends_on });
  }
  return {
    project: stack.project,
    services,
    networks: [...networks.values()],
    objects: [...objects.values()],
    reports,
    warnings: [...warnings],
  };
}

/** The reported keys, one line each, for `up`'s output: `app: container_name (berth.yaml:12): …`. */
export const reportLines = (t: Translation) =>
  t.reports
    .filter((r) => r.outcome === 'reported')
    .map((r) => `${r.service}: \`${r.key}\`${r.at ? ` (${r.at})` : ''}: ${r.note}`);
