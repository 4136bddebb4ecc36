// The Docker adapter of the engine port: berth's specs and queries in, Docker's API out, and the answers back
// as berth's observed types. Plain REST goes through a DockerApi (light.ts on a local socket, dockerode's
// modem elsewhere); builds, pulls and hijacked streams (exec, attach) use dockerode, loaded only when needed.
import type { Readable } from 'node:stream';
import type Docker from 'dockerode';
import type { Service } from '../model/stack.js';
import {
  type ContainerEvent,
  type FsChange,
  type InspectedContainer,
  type Labels,
  type ObservedContainer,
  type ObservedImage,
  type ObservedNetwork,
  type ObservedVolume,
  type PublishedPort,
  isOneOff,
  Label,
  replicaOf,
} from '../model/index.js';
import {
  type ContainerPlan,
  type CreateOptions,
  containerForReplica,
  containerTemplate,
  type InspectedMount,
  inheritedMounts,
  withInherited,
} from './create-options.js';
import type { DockerApi } from './docker-api.js';
import { EngineError, engineMessage, isEngineError } from './errors.js';
import { fileArchive } from './file-archive.js';
import { parseContainerEvent } from './event-decode.js';
import { networkOptions } from './networks.js';
import { containerForOneOff } from './oneoff.js';
import {
  LIBPOD,
  type Product,
  describeProduct,
  healthOfLibpodStatus,
  infoOfPing,
  matchesLabels,
  healthcheckDue,
  productOf,
  productOfPing,
} from './podman.js';
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
  LogOptions,
  LockInfo,
  PathStat,
  ProcessList,
  PullOptions,
  ReplicaSpec,
  ResourceSpec,
  Session,
  SessionIO,
  TaskResult,
  TaskSpec,
} from './port.js';
import { volumeOptions } from './volumes.js';
import { dedupePorts, toImage, toNetwork, toObservedContainer, toVolume } from './listed.js';

export { toObservedContainer };
import { VERSION } from '../version.js';

const labelFilter = (f: ListFilter, extra: Record<string, string[]> = {}) =>
  JSON.stringify({ ...(f.labels?.length ? { label: f.labels } : {}), ...extra });

/** The image berth's lock containers are created from (never started): imported empty on first use. */
const LOCK_IMAGE = 'berth-lock:1';
/** The lock holder's heartbeat file in the lock container. */
const LOCK_BEAT = 'berth-lock-beat';

/** An existing network or volume is this stack's (fine: creating it is done) or a conflict naming its owner. */
function ownedOrConflict(kind: string, name: string, spec: ResourceSpec, labels: Labels | null | undefined) {
  const l = labels ?? {};
  const stack = l[Label.stack];
  if (l[Label.project] === spec.stack.project && (!stack || stack === spec.stack.name)) return;
  const owner = l[Label.project]
    ? `berth project ${l[Label.project]}${stack ? ` (stack ${stack})` : ''}`
    : 'something without berth labels';
  throw new EngineError('conflict', `${kind} ${name} already exists and belongs to ${owner}`, 409);
}

const swallow = (kinds: EngineError['kind'][]) => (err: unknown) => {
  if (err instanceof EngineError && kinds.includes(err.kind)) return;
  throw err;
};

/** Engine refusals at create that belong to one stack key, recognised by the engine's own words. */
const REFUSALS: Array<{ key: string; words: RegExp; hint: string }> = [
  {
    key: 'storage_opt',
    words: /storage-opt|storage opt/i,
    hint: 'the overlay2 storage driver takes `size` only on xfs mounted with `pquota`; remove `storage_opt` for this engine',
  },
  { key: 'device_cgroup_rules', words: /device.?cgroup|cgroup rule/i, hint: 'fix or remove the rule' },
  { key: 'cgroup_parent', words: /cgroup.?parent/i, hint: 'fix or remove `cgroup_parent`' },
  { key: 'external_links', words: /link/i, hint: 'start the linked container first, or fix the name' },
  { key: 'uts', words: /\buts\b/i, hint: 'the only UTS mode is `host`, and it excludes `hostname`' },
];

/** The engine's create error, reworded to name the stack key (and its line) when it is about one. */
function refusalNamingKey(err: unknown, keyAt: Record<string, string> | undefined): unknown {
  if (!keyAt || !(err instanceof EngineError)) return err;
  const r = REFUSALS.find((x) => keyAt[x.key] && x.words.test(err.engineMessage));
  if (!r) return err;
  return new EngineError(
    err.kind,
    `\`${r.key}\` (${keyAt[r.key]}) was refused by the engine: ${err.engineMessage}; ${r.hint}`,
    err.status,
  );
}

/**
 * An anonymous volume, as the engine made it for a container: a 64-hex name, and no labels but the one Docker 23+
 * puts on them (`com.docker.volume.anonymous`). A named volume of a project carries berth's labels.
 */
export function isAnonymousVolume(name: string, labels: Record<string, string> | null | undefined): boolean {
  if (!/^[0-9a-f]{64}$/.test(name)) return false;
  return Object.keys(labels ?? {}).every((k) => k === 'com.docker.volume.anonymous');
}

function portsOfBindings(
  bindings: Record<string, Array<{ HostIp?: string; HostPort?: string }> | null> | undefined,
): PublishedPort[] {
  const out: PublishedPort[] = [];
  for (const [key, list] of Object.entries(bindings ?? {})) {
    const [target, protocol = 'tcp'] = key.split('/');
    for (const b of list ?? []) {
      const hostPort = Number(b.HostPort);
      if (hostPort) out.push({ hostIp: b.HostIp ?? '', hostPort, target: Number(target), protocol });
    }
  }
  return dedupePorts(out);
}

function toInspected(info: Docker.ContainerInspectInfo): InspectedContainer {
  const labels = info.Config?.Labels ?? {};
  const st = info.State;
  const started = st?.StartedAt && !st.StartedAt.startsWith('0001') ? Date.parse(st.StartedAt) : undefined;
  const h = st?.Health?.Status;
  const health = h && h !== 'none' ? (h as InspectedContainer['health']) : undefined;
  const test = info.Config?.Healthcheck?.Test;
  const running = Boolean(st?.Running);
  return {
    id: info.Id,
    name: info.Name.replace(/^\//, ''),
    project: labels[Label.project] ?? '',
    service: labels[Label.service] ?? '',
    replica: replicaOf(labels),
    hash: labels[Label.configHash] ?? '',
    state: (st?.Restarting ? 'restarting' : (st?.Status ?? 'created')) as InspectedContainer['state'],
    status: st?.Status ?? '',
    health,
    image: info.Config?.Image ?? '',
    imageId: info.Image,
    command: [...(info.Config?.Entrypoint ?? []), ...(info.Config?.Cmd ?? [])].join(' '),
    created: Math.floor(Date.parse(info.Created) / 1000),
    networks: Object.keys(info.NetworkSettings?.Networks ?? {}),
    // running: what is bound; otherwise what it will bind on start
    ports: running
      ? portsOfBindings(info.NetworkSettings?.Ports as never)
      : portsOfBindings(info.HostConfig?.PortBindings as never),
    labels,
    oneoff: isOneOff(labels),
    running,
    restarting: Boolean(st?.Restarting),
    exitCode: st?.ExitCode ?? 0,
    hasHealthcheck: health !== undefined || (!!test && test[0] !== 'NONE'),
    startedAt: started,
    restarts: info.RestartCount ?? 0,
    tty: Boolean(info.Config?.Tty),
  };
}

/** Split the engine's multiplexed (non-TTY) log stream: 8-byte headers, then the payload. */
export function demux(buf: Buffer): string {
  if (buf.length < 8 || buf[1] !== 0 || buf[2] !== 0 || buf[3] !== 0 || buf[0]! > 2)
    return buf.toString('utf8');
  let out = '';
  let i = 0;
  while (i + 8 <= buf.length) {
    const len = buf.readUInt32BE(i + 4);
    out += buf.subarray(i + 8, i + 8 + len).toString('utf8');
    i += 8 + len;
  }
  return out;
}

async function readStream(s: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of s as AsyncIterable<Buffer | string>)
    chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(c));
  return Buffer.concat(chunks);
}

export class DockerEngine implements Engine {
  private infoCache?: Promise<EngineInfo>;
  private versionCache?: Promise<{
    Version: string;
    ApiVersion: string;
    Components?: Array<{ Name?: string }>;
  }>;
  /** When berth last asked Podman to run a container's healthcheck (see podman.ts). */
  private readonly healthRuns = new Map<string, number>();
  private pinged?: Product;
  private full?: Promise<Docker>;
  /** Create-option templates per service, shared by its replicas (WeakMap: one per loaded stack). */
  private readonly templates = new WeakMap<object, Map<string, Docker.ContainerCreateOptions>>();

  private builderCache?: Promise<BuilderInfo>;
  /** The API version in the ping's headers. */
  private pingedApi?: string;

  constructor(
    private readonly api: DockerApi,
    /** dockerode for builds, pulls and hijacked streams, created on first use. */
    private readonly dockerode: () => Promise<Docker>,
    /** The engine's local socket, when it is on one: BuildKit sessions are opened there. */
    private readonly socket?: string,
  ) {}

  get endpoint() {
    return this.api.endpoint;
  }

  private docker(): Promise<Docker> {
    this.full ??= this.dockerode();
    return this.full;
  }

  /** Answers or throws EngineError ('unreachable', 'timeout'). */
  async ping(): Promise<void> {
    const answer = await this.api.ping();
    this.pinged ??= productOfPing(answer?.headers);
    const api = answer?.headers?.['api-version'];
    if (typeof api === 'string' && api) this.pingedApi ??= api;
    const podman = infoOfPing(answer?.headers);
    if (podman) this.infoCache ??= Promise.resolve(podman);
  }

  private version() {
    this.versionCache ??= this.api.version();
    this.versionCache.catch(() => {
      this.versionCache = undefined;
    });
    return this.versionCache;
  }

  /** Docker or Podman: from the ping's headers, or else the engine's `/version`. */
  async product(): Promise<Product> {
    return this.pinged ?? productOf(await this.version());
  }

  async engineApi(): Promise<string> {
    return this.pingedApi ?? (await this.version()).ApiVersion;
  }

  info(): Promise<EngineInfo> {
    this.infoCache ??= Promise.all([this.version(), this.api.info().catch(() => ({}) as never)]).then(
      ([v, i]: [
        { Version: string; ApiVersion: string },
        { Swarm?: { NodeID?: string; LocalNodeState?: string; ControlAvailable?: boolean } },
      ]) => ({
        version: describeProduct(v),
        apiVersion: v.ApiVersion,
        swarm: i.Swarm?.NodeID
          ? {
              nodeId: i.Swarm.NodeID,
              localState: i.Swarm.LocalNodeState ?? '',
              manager: Boolean(i.Swarm.ControlAvailable),
            }
          : undefined,
      }),
    );
    return this.infoCache;
  }

  async listContainers(f: ListFilter & { all?: boolean }): Promise<ObservedContainer[]> {
    const filters = labelFilter(f);
    const list = (await this.api.listContainers({ all: f.all, filters })).map(toObservedContainer);
    if ((await this.product()) !== 'podman' || !list.length) return list;
    // Podman's compat list has no health in its status; libpod's list has it (one more call, ~70 ms)
    const own = await this.api.request<Array<{ Id: string; Status?: string }> | null>(
      'GET',
      `${LIBPOD}/containers/json`,
      { query: { all: f.all, filters } },
    );
    const health = new Map((own ?? []).map((c) => [c.Id, healthOfLibpodStatus(c.Status)]));
    return list.map((listed) => {
      // Podman lists a stopped container's configured ports as published; Docker lists only what is bound
      const c = listed.state === 'running' ? listed : { ...listed, ports: [] };
      const h = health.get(c.id);
      // Docker's words in the status too, so `ps` reads the same on both engines
      return h && c.state === 'running' && !c.health
        ? { ...c, health: h, status: `${c.status} (${h === 'starting' ? 'health: starting' : h})` }
        : c;
    });
  }

  async inspectContainer(id: string): Promise<InspectedContainer | undefined> {
    let raw: Docker.ContainerInspectInfo;
    try {
      raw = await this.api.getContainer(id).inspect();
    } catch (err) {
      if (isEngineError(err, 'not-found')) return undefined;
      throw err;
    }
    const c = toInspected(raw);
    if (c.health !== 'starting' || !c.running || (await this.product()) !== 'podman') return c;
    const now = Date.now();
    const interval = raw.Config?.Healthcheck?.Interval;
    if (!healthcheckDue(now, c.startedAt, this.healthRuns.get(c.id), interval)) return c;
    this.healthRuns.set(c.id, now);
    try {
      const r = await this.api.request<{ Status?: string }>(
        'GET',
        `${LIBPOD}/containers/${c.id}/healthcheck`,
      );
      return { ...c, health: healthOfLibpodStatus(r?.Status) ?? c.health };
    } catch {
      // gone or stopped meanwhile: the next inspect says so
      return c;
    }
  }

  async listNetworks(f: ListFilter): Promise<ObservedNetwork[]> {
    const list = await this.api.listNetworks({ filters: labelFilter(f) });
    return list.map(toNetwork);
  }

  async listVolumes(f: ListFilter): Promise<ObservedVolume[]> {
    const res = await this.api.listVolumes({ filters: labelFilter(f) });
    return (res.Volumes ?? []).map(toVolume);
  }

  async listImages(f: ListFilter): Promise<ObservedImage[]> {
    const [first, ...rest] = f.labels ?? [];
    if (!rest.length || (await this.product()) !== 'podman')
      return (await this.api.listImages({ filters: labelFilter(f) })).map(toImage);
    // Podman answers nothing to an image list filtered by several labels (see podman.ts)
    const list = (await this.api.listImages({ filters: labelFilter({ labels: [first!] }) })).map(toImage);
    return list.filter((i) => matchesLabels(i.labels, rest));
  }

  async inspectImage(ref: string): Promise<ObservedImage | undefined> {
    try {
      return toImage((await this.api.inspectImage(ref)) as never);
    } catch (err) {
      if (isEngineError(err, 'not-found')) return undefined;
      throw err;
    }
  }

  private plan(spec: ContainerSpec): ContainerPlan {
    const { stack } = spec;
    if (spec.kind === 'oneoff') return containerForOneOff(stack, spec.service, spec);
    const svc = stack.services[spec.service];
    if (!svc) throw new EngineError('invalid', `no such service: ${spec.service}`);
    const byService = this.templates.get(stack) ?? new Map<string, Docker.ContainerCreateOptions>();
    this.templates.set(stack, byService);
    const template = byService.get(spec.service) ?? containerTemplate(stack, svc);
    byService.set(spec.service, template);
    return containerForReplica(stack, svc, template, spec.replica, spec.hash, spec.name);
  }

  /**
   * Create, connect the networks beyond the first (API 1.41 takes one at create), and copy in the service's
   * secrets and configs that are not host files. A container that did not get its files is removed again:
   * left behind, it would look complete to the next `up` (its config hash matches) and start without them.
   */
  async createContainer(spec: ContainerSpec): Promise<string> {
    const plan = this.plan(spec);
    let id: string;
    try {
      const options =
        spec.kind === 'replica' && spec.inherit ? await this.inheriting(spec, plan.options) : plan.options;
      ({ id } = await this.api.createContainer(options));
    } catch (err) {
      throw refusalNamingKey(err, plan.keyAt);
    }
    for (const [net, endpoint] of Object.entries(plan.extraNetworks))
      await this.api.connectNetwork(net, { Container: id, EndpointConfig: endpoint });
    const files = spec.stack.services[spec.service]?.files ?? [];
    if (files.length) {
      try {
        await this.api.getContainer(id).putArchive(await fileArchive(files), { path: '/' });
      } catch (err) {
        await this.removeContainer(id, { force: true, volumes: true });
        throw new EngineError(
          'failed',
          `copying ${files.map((f) => `${f.kind} "${f.name}"`).join(', ')} into the container failed: ${engineMessage(err)}`,
        );
      }
    }
    return id;
  }

  /** The options with the anonymous volumes of the container being replaced in place of fresh ones. */
  private async inheriting(spec: ReplicaSpec, options: CreateOptions): Promise<CreateOptions> {
    const svc = spec.stack.services[spec.service]!;
    const [old, image] = await Promise.all([
      this.api
        .getContainer(spec.inherit!)
        .inspect()
        .catch(swallow(['not-found'])),
      this.api.inspectImage(String(options.Image)).catch(swallow(['not-found'])),
    ]);
    if (!old) return options;
    const imageVolumes = Object.keys(
      (image as { Config?: { Volumes?: object } } | undefined)?.Config?.Volumes ?? {},
    );
    return withInherited(options, inheritedMounts(svc, (old.Mounts ?? []) as InspectedMount[], imageVolumes));
  }

  startContainer(id: string): Promise<void> {
    return this.api
      .getContainer(id)
      .start()
      .then(() => {}, swallow(['not-modified']));
  }

  stopContainer(id: string, timeoutSec?: number): Promise<void> {
    return this.api
      .getContainer(id)
      .stop(timeoutSec === undefined ? {} : { t: timeoutSec })
      .then(() => {}, swallow(['not-modified', 'not-found']));
  }

  async restartContainer(id: string, timeoutSec?: number): Promise<void> {
    await this.api.getContainer(id).restart(timeoutSec === undefined ? {} : { t: timeoutSec });
  }

  async killContainer(id: string, signal?: string): Promise<void> {
    await this.api.getContainer(id).kill(signal ? { signal } : {});
  }

  async pauseContainer(id: string): Promise<void> {
    await this.api.getContainer(id).pause();
  }

  async unpauseContainer(id: string): Promise<void> {
    await this.api.getContainer(id).unpause();
  }

  async removeContainer(id: string, opts: { volumes?: boolean; force?: boolean } = {}): Promise<void> {
    // With `v`, the engine removes the volumes it made for this container, but not one it was given by name:
    // the anonymous volume a recreate handed over (create-options.ts inheritedMounts) would outlive `down -v`.
    const handedOver = opts.volumes ? await this.inheritedVolumes(id) : [];
    try {
      await this.api.getContainer(id).remove({ v: opts.volumes ?? false, force: opts.force ?? false });
    } catch (err) {
      // gone already; or "removal already in progress", which ends the same way
      if (isEngineError(err, 'not-found')) return;
      if (isEngineError(err, 'conflict') && /already in progress/.test(err.engineMessage)) return;
      throw err;
    }
    // still used by another container (a replica's volumes_from): the engine refuses, and it stays
    await Promise.all(handedOver.map((v) => this.api.removeVolume(v).catch(() => {})));
  }

  /** Volumes mounted by name that are anonymous ones: what a recreate handed over. */
  private async inheritedVolumes(id: string): Promise<string[]> {
    const info = await this.api
      .getContainer(id)
      .inspect()
      .catch(() => undefined);
    const names = (info?.Mounts ?? [])
      .filter((m) => m.Type === 'volume' && m.Name && /^[0-9a-f]{64}$/.test(m.Name))
      .map((m) => m.Name!);
    if (!names.length) return [];
    const listed = await this.api
      .listVolumes({ filters: JSON.stringify({ name: names }) })
      .catch(() => ({ Volumes: [] }));
    const anonymous = new Set(
      (listed.Volumes ?? []).filter((v) => isAnonymousVolume(v.Name, v.Labels)).map((v) => v.Name),
    );
    return names.filter((n) => anonymous.has(n));
  }

  async renameContainer(id: string, name: string): Promise<void> {
    await this.api.getContainer(id).rename({ name });
  }

  async copyToContainer(id: string, path: string, tar: Buffer): Promise<void> {
    await this.api.getContainer(id).putArchive(tar, { path });
  }

  async getArchive(id: string, path: string): Promise<{ stat: PathStat; tar: Readable } | undefined> {
    let tar: Readable;
    try {
      tar = await this.api.stream(`/containers/${encodeURIComponent(id)}/archive`, { path });
    } catch (err) {
      if (isEngineError(err, 'not-found')) return undefined;
      throw err;
    }
    const header = (tar as Readable & { headers?: Record<string, string | string[] | undefined> }).headers?.[
      'x-docker-container-path-stat'
    ];
    const raw = JSON.parse(Buffer.from(String(header ?? 'e30='), 'base64').toString('utf8')) as Partial<{
      name: string;
      size: number;
      mode: number;
      linkTarget: string;
    }>;
    const mode = raw.mode ?? 0;
    const stat: PathStat = {
      name: raw.name ?? '',
      size: raw.size ?? 0,
      mode,
      // Go's os.ModeDir is bit 31; `>>> 0` keeps it unsigned
      isDir: (mode >>> 31) % 2 === 1,
      linkTarget: raw.linkTarget ?? '',
    };
    return { stat, tar };
  }

  async topContainer(id: string, psArgs?: string): Promise<ProcessList> {
    const r = await this.api.getContainer(id).top(psArgs ? { ps_args: psArgs } : {});
    return { titles: r.Titles ?? [], processes: r.Processes ?? [] };
  }

  async waitContainer(id: string, signal?: AbortSignal): Promise<number> {
    const r = await this.api.getContainer(id).wait(signal);
    return r?.StatusCode ?? 0;
  }

  openLogs(id: string, o: LogOptions): Promise<Readable> {
    return this.api.stream(
      `/containers/${encodeURIComponent(id)}/logs`,
      {
        follow: o.follow,
        stdout: true,
        stderr: true,
        timestamps: o.timestamps,
        tail: o.tail === undefined ? 'all' : String(o.tail),
        since: o.since,
        until: o.until,
      },
      o.signal,
    );
  }

  async tailLogs(id: string, n: number): Promise<string[]> {
    try {
      const buf = await readStream(await this.openLogs(id, { follow: false, tail: n, timestamps: false }));
      return demux(buf)
        .split('\n')
        .filter((l) => l.length > 0)
        .slice(-n);
    } catch {
      return [];
    }
  }

  async exec(id: string, opts: ExecOptions): Promise<Session> {
    const { execInContainer } = await import('./exec.js');
    return execInContainer(await this.docker(), this.endpoint, id, opts);
  }

  async check(id: string, cmd: string[], timeoutMs: number): Promise<boolean> {
    try {
      const exec = await this.api
        .getContainer(id)
        .exec({ Cmd: cmd, AttachStdout: false, AttachStderr: false });
      await exec.start({ Detach: true });
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const info = await exec.inspect();
        if (!info.Running) return info.ExitCode === 0;
        if (Date.now() > deadline) return false;
        await new Promise((r) => setTimeout(r, 25));
      }
    } catch {
      return false;
    }
  }

  async attachAndStart(id: string, io: SessionIO): Promise<Session> {
    const { attachAndStart } = await import('./exec.js');
    return attachAndStart(await this.docker(), this.endpoint, id, io);
  }

  async containerChanges(id: string): Promise<FsChange[]> {
    const kinds: FsChange['kind'][] = ['changed', 'added', 'deleted'];
    const list = (await this.api.getContainer(id).changes()) ?? [];
    return list.map((c) => ({ path: c.Path, kind: kinds[c.Kind] ?? 'changed' }));
  }

  async commitContainer(id: string, o: CommitOptions): Promise<string> {
    const { commit } = await import('./exec.js');
    return commit(await this.docker(), this.endpoint, id, o);
  }

  async exportContainer(id: string): Promise<Readable> {
    return this.api.stream(`/containers/${encodeURIComponent(id)}/export`, {});
  }

  /**
   * Ownership first: a network of that name that this stack did not create is a conflict, never reused as
   * created (the engine's own 409 for a duplicate name is not reliable: 20.10 creates duplicates in a race).
   */
  async createNetwork(spec: ResourceSpec): Promise<void> {
    const opts = networkOptions(spec.stack, spec.key, spec.stack.networks[spec.key]);
    const name = opts.Name;
    const same = (await this.api.listNetworks({ filters: JSON.stringify({ name: [name] }) })).filter(
      (n) => n.Name === name,
    );
    if (same.length) return ownedOrConflict('network', name, spec, same[0]!.Labels);
    try {
      await this.api.createNetwork(opts);
    } catch (err) {
      if (!isEngineError(err, 'conflict')) throw err;
      const now = (await this.api.listNetworks({ filters: JSON.stringify({ name: [name] }) })).find(
        (n) => n.Name === name,
      );
      return ownedOrConflict('network', name, spec, now?.Labels);
    }
  }

  /**
   * The engine can still count an endpoint of a container it has just removed (seen on 20.10 under load), so
   * "active endpoints" is retried briefly before it counts as an error.
   */
  async connectNetwork(network: string, containerId: string): Promise<void> {
    try {
      await this.api.connectNetwork(network, { Container: containerId });
    } catch (err) {
      if (isEngineError(err) && /already exists|already attached/i.test(err.engineMessage)) return;
      throw err;
    }
  }

  async disconnectNetwork(network: string, containerId: string): Promise<void> {
    try {
      await this.api.disconnectNetwork(network, { Container: containerId, Force: true });
    } catch (err) {
      if (isEngineError(err, 'not-found')) return;
      if (isEngineError(err) && /not connected/i.test(err.engineMessage)) return;
      throw err;
    }
  }

  async removeNetwork(idOrName: string): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await this.api.removeNetwork(idOrName);
        return;
      } catch (err) {
        if (isEngineError(err, 'not-found')) return;
        const busy = isEngineError(err) && /active endpoints/.test(err.engineMessage);
        if (!busy || attempt >= 20) throw err;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  /** The engine answers a create of an existing volume with that volume: ownership is checked first. */
  async createVolume(spec: ResourceSpec): Promise<void> {
    const opts = volumeOptions(spec.stack, spec.key);
    const name = opts.Name as string;
    const existing = (
      await this.api.listVolumes({ filters: JSON.stringify({ name: [name] }) })
    ).Volumes?.find((v) => v.Name === name);
    if (existing) return ownedOrConflict('volume', name, spec, existing.Labels as Labels | null);
    await this.api.createVolume(opts);
  }

  async createLock(name: string, labels: Labels): Promise<string | undefined> {
    const create = async () =>
      (
        await this.api.createContainer({
          name,
          Image: LOCK_IMAGE,
          Cmd: ['berth-lock'],
          Labels: labels,
          HostConfig: { NetworkMode: 'none' },
        })
      ).id;
    for (let attempt = 0; ; attempt++) {
      try {
        return await create();
      } catch (err) {
        if (isEngineError(err, 'conflict')) return undefined;
        if (!isEngineError(err, 'not-found') || attempt > 0) throw err;
        // The lock image is empty (a tar of nothing): imported once per engine, never pulled.
        await this.api.importImage(Buffer.alloc(1024), LOCK_IMAGE);
      }
    }
  }

  async inspectLock(name: string): Promise<LockInfo | undefined> {
    try {
      const info = await this.api.getContainer(name).inspect();
      return { id: info.Id, labels: info.Config?.Labels ?? {}, beat: await this.lockBeat(info.Id) };
    } catch (err) {
      if (isEngineError(err, 'not-found')) return undefined;
      throw err;
    }
  }

  // A container's labels cannot change, so the heartbeat is a small file in the (never started) lock container,
  // written through the archive API: any process talking to this engine can read it.
  async refreshLock(id: string, at: string): Promise<void> {
    const tar = await fileArchive(
      [{ kind: 'config', name: 'beat', target: LOCK_BEAT, content: at, mode: 0o644, uid: 0, gid: 0 }],
      new Date(at),
    );
    await this.api.getContainer(id).putArchive(tar, { path: '/' });
  }

  private async lockBeat(id: string): Promise<string | undefined> {
    const got = await this.getArchive(id, `/${LOCK_BEAT}`).catch(() => undefined);
    if (!got) return undefined;
    const { default: tarStream } = await import('tar-stream');
    const extract = tarStream.extract();
    const text = new Promise<string | undefined>((resolve) => {
      let out: string | undefined;
      extract.on('entry', (_h, stream, next) => {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          out ??= Buffer.concat(chunks).toString('utf8').slice(0, 64);
          next();
        });
        stream.resume();
      });
      extract.on('finish', () => resolve(out));
      extract.on('error', () => resolve(out));
    });
    got.tar.pipe(extract);
    return text;
  }

  async removeLock(id: string): Promise<void> {
    await this.api
      .getContainer(id)
      .remove({ force: true })
      .then(() => {}, swallow(['not-found', 'conflict']));
  }

  removeVolume(name: string): Promise<void> {
    return this.api.removeVolume(name).then(() => {}, swallow(['not-found']));
  }

  async createLabelledVolume(name: string, labels: Labels): Promise<void> {
    // The engine answers a create of an existing name with that volume: check, so nothing is silently shared.
    const seen = await this.api.listVolumes({ filters: JSON.stringify({ name: [name] }) });
    if ((seen.Volumes ?? []).some((v) => v.Name === name))
      throw new EngineError('conflict', `volume ${name} already exists`);
    await this.api.createVolume({
      Name: name,
      Driver: 'local',
      Labels: { ...labels, [Label.version]: VERSION },
    });
  }

  async runTask(spec: TaskSpec): Promise<TaskResult> {
    const { id } = await this.api.createContainer({
      Image: spec.image,
      Cmd: spec.cmd,
      Labels: { ...spec.labels, [Label.version]: VERSION },
      NetworkDisabled: true,
      HostConfig: {
        NetworkMode: 'none',
        Mounts: spec.mounts.map((m) => ({
          Type: 'volume',
          Source: m.volume,
          Target: m.target,
          ReadOnly: m.readOnly ?? false,
        })),
      },
    } as Docker.ContainerCreateOptions);
    const c = this.api.getContainer(id);
    try {
      await c.start();
      const deadline = Date.now() + (spec.timeoutMs ?? 600_000);
      // Polled: a copy of a dev database takes from a fraction of a second to a minute; 50 ms is noise.
      let failures = 0;
      for (let wait = 20; ; wait = Math.min(wait * 2, 200)) {
        // Podman 4.3 can fail an inspect of a container whose process is exiting ("read /proc/PID/cgroup: no
        // such process", HTTP 500): asked again a moment later it answers. A few in a row are a real failure.
        const st = await c.inspect().then(
          (i) => i.State,
          (err) => {
            if (!isEngineError(err, 'failed') || ++failures > 5) throw err;
            return undefined;
          },
        );
        if (st) failures = 0;
        if (st && !st.Running) return { exitCode: st.ExitCode, output: await this.tailLogs(id, 200) };
        if (Date.now() > deadline) {
          await c.kill().catch(() => {});
          throw new EngineError('timeout', `helper container ${spec.image} ran too long`);
        }
        await new Promise((r) => setTimeout(r, wait));
      }
    } finally {
      await c.remove({ force: true, v: true }).catch(() => {});
    }
  }

  builder(): Promise<BuilderInfo> {
    this.builderCache ??= (async () => {
      const { chooseBuilder } = await import('./buildkit-policy.js');
      const product = await this.product();
      // Podman answers /version slowly and has no sessions: its API version does not matter here
      const apiVersion = product === 'podman' ? '' : (await this.version()).ApiVersion;
      return chooseBuilder({ product, apiVersion, socket: this.socket });
    })();
    this.builderCache.catch(() => {
      this.builderCache = undefined;
    });
    return this.builderCache;
  }

  async buildImage(service: Service, opts: BuildOptions): Promise<string> {
    const [{ buildImage }, { classicOnly }, builder] = await Promise.all([
      import('./images.js'),
      import('./buildkit-policy.js'),
      this.builder(),
    ]);
    if (builder.refused) throw new EngineError('invalid', builder.refused);
    const needsKit = (service.build?.needsBuildKit?.length ?? 0) > 0;
    const kit =
      builder.kind === 'buildkit' && this.socket && (needsKit || classicOnly(service.build!).length === 0)
        ? this.socket
        : undefined;
    return buildImage(() => this.docker(), this, service, opts, kit);
  }

  async pullImage(ref: string, opts: PullOptions): Promise<string> {
    const { pullImage } = await import('./images.js');
    return pullImage(await this.docker(), this, ref, opts);
  }

  async tagImage(id: string, ref: string): Promise<void> {
    const colon = ref.lastIndexOf(':');
    const slash = ref.lastIndexOf('/');
    const [repo, tag] = colon > slash ? [ref.slice(0, colon), ref.slice(colon + 1)] : [ref, 'latest'];
    await this.api.tagImage(id, { repo, tag });
  }

  async removeImage(ref: string): Promise<void> {
    await this.api.removeImage(ref);
  }

  async saveImage(ref: string): Promise<Readable> {
    return this.api.stream(`/images/${encodeURIComponent(ref)}/get`, {});
  }

  async watchContainerEvents(f: ListFilter, onEvent: (e: ContainerEvent) => void): Promise<EventWatch> {
    const ac = new AbortController();
    const stream = await this.api.stream(
      '/events',
      { filters: labelFilter(f, { type: ['container'] }) },
      ac.signal,
    );
    let rest = '';
    const done = new Promise<void>((resolve) => {
      stream.on('data', (chunk: Buffer) => {
        rest += chunk.toString('utf8');
        let nl = rest.indexOf('\n');
        while (nl >= 0) {
          const ev = parseContainerEvent(rest.slice(0, nl));
          rest = rest.slice(nl + 1);
          if (ev) onEvent(ev);
          nl = rest.indexOf('\n');
        }
      });
      stream.on('end', () => resolve());
      stream.on('close', () => resolve());
      stream.on('error', () => resolve());
    });
    return {
      done,
      close: () => {
        ac.abort();
        stream.destroy();
      },
    };
  }
}
