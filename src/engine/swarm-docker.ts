// The Docker adapter of the swarm port: berth's SwarmServiceSpec in, Docker's ServiceSpec JSON out (API 1.41,
// dockerd 20.10 and later), and tasks, nodes, secrets and configs back as berth's types.
import type { Readable } from 'node:stream';
import type { DockerApi } from './docker-api.js';
import { EngineError, isEngineError } from './errors.js';
import { engineTimeoutMs, lightApi, localSocket } from './light.js';
import type {
  ObservedSwarmService,
  SwarmEngine,
  SwarmInfo,
  SwarmLogOptions,
  SwarmNode,
  SwarmObject,
  SwarmServiceSpec,
  SwarmTask,
  SwarmUpdatePolicy,
  TaskState,
} from './swarm-port.js';

// biome-ignore lint/suspicious/noExplicitAny: loosely typed JSON (Compose model, Docker answers), read defensively
type Obj = Record<string, any>;

const labelFilters = (labels: string[], extra: Record<string, string[]> = {}) =>
  JSON.stringify({ ...(labels.length ? { label: labels } : {}), ...extra });

const policy = (p: SwarmUpdatePolicy): Obj => ({
  Parallelism: p.parallelism,
  Delay: p.delayNs,
  FailureAction: p.failureAction,
  Monitor: p.monitorNs,
  MaxFailureRatio: p.maxFailureRatio,
  Order: p.order,
});

/** berth's service spec as Docker's ServiceSpec. */
export function dockerServiceSpec(s: SwarmServiceSpec): Obj {
  const dns = s.dns && (s.dns.nameservers.length || s.dns.search.length || s.dns.options.length);
  return {
    Name: s.name,
    Labels: s.labels,
    TaskTemplate: {
      ContainerSpec: {
        Image: s.image,
        Labels: s.containerLabels,
        Command: s.command,
        Args: s.args,
        Env: s.env,
        User: s.user,
        Dir: s.workdir,
        Hostname: s.hostname,
        Init: s.init,
        StopSignal: s.stopSignal,
        StopGracePeriod: s.stopGraceNs,
        TTY: s.tty,
        OpenStdin: s.openStdin,
        ReadOnly: s.readOnly,
        CapabilityAdd: s.capAdd?.length ? s.capAdd : undefined,
        CapabilityDrop: s.capDrop?.length ? s.capDrop : undefined,
        Groups: s.groups?.length ? s.groups : undefined,
        Sysctls: s.sysctls && Object.keys(s.sysctls).length ? s.sysctls : undefined,
        Ulimits: s.ulimits?.length
          ? s.ulimits.map((u) => ({ Name: u.name, Soft: u.soft, Hard: u.hard }))
          : undefined,
        // Docker's ServiceSpec writes extra hosts as "IP host", the reverse of Compose's "host:IP".
        Hosts: s.extraHosts?.length
          ? s.extraHosts.map((h) => {
              const i = h.indexOf(':');
              return i < 0 ? h : `${h.slice(i + 1)} ${h.slice(0, i)}`;
            })
          : undefined,
        DNSConfig: dns
          ? { Nameservers: s.dns!.nameservers, Search: s.dns!.search, Options: s.dns!.options }
          : undefined,
        Healthcheck: s.healthcheck
          ? {
              Test: s.healthcheck.test,
              Interval: s.healthcheck.intervalNs,
              Timeout: s.healthcheck.timeoutNs,
              StartPeriod: s.healthcheck.startPeriodNs,
              Retries: s.healthcheck.retries,
            }
          : undefined,
        Mounts: s.mounts.map((m) => ({
          Type: m.type,
          Source: m.source,
          Target: m.target,
          ReadOnly: m.readOnly,
          ...(m.volume
            ? {
                VolumeOptions: {
                  NoCopy: m.volume.noCopy,
                  Labels: m.volume.labels,
                  DriverConfig: m.volume.driver
                    ? { Name: m.volume.driver, Options: m.volume.options }
                    : undefined,
                },
              }
            : {}),
          ...(m.bindPropagation ? { BindOptions: { Propagation: m.bindPropagation } } : {}),
          ...(m.tmpfs ? { TmpfsOptions: { SizeBytes: m.tmpfs.sizeBytes, Mode: m.tmpfs.mode } } : {}),
        })),
        Secrets: s.secrets.map((f) => ({
          SecretName: f.name,
          File: { Name: f.target, UID: f.uid, GID: f.gid, Mode: f.mode },
        })),
        Configs: s.configs.map((f) => ({
          ConfigName: f.name,
          File: { Name: f.target, UID: f.uid, GID: f.gid, Mode: f.mode },
        })),
      },
      Resources: {
        Limits: {
          NanoCPUs: s.resources.limits.nanoCpus,
          MemoryBytes: s.resources.limits.memoryBytes,
          Pids: s.resources.limits.pids,
        },
        Reservations: {
          NanoCPUs: s.resources.reservations.nanoCpus,
          MemoryBytes: s.resources.reservations.memoryBytes,
        },
      },
      RestartPolicy: {
        Condition: s.restart.condition,
        Delay: s.restart.delayNs,
        MaxAttempts: s.restart.maxAttempts,
        Window: s.restart.windowNs,
      },
      Placement: {
        Constraints: s.placement.constraints,
        Preferences: s.placement.preferences.map((p) => ({ Spread: { SpreadDescriptor: p } })),
        MaxReplicas: s.placement.maxReplicas,
      },
      LogDriver: s.logDriver ? { Name: s.logDriver.name, Options: s.logDriver.options } : undefined,
      Networks: s.networks.map((n) => ({ Target: n.name, Aliases: n.aliases })),
    },
    Mode: 'global' in s.mode ? { Global: {} } : { Replicated: { Replicas: s.mode.replicated } },
    UpdateConfig: policy(s.update),
    RollbackConfig: policy(s.rollback),
    EndpointSpec: {
      Mode: s.endpointMode,
      Ports: s.ports.map((p) => ({
        TargetPort: p.target,
        PublishedPort: p.published,
        Protocol: p.protocol,
        PublishMode: p.mode,
      })),
    },
  };
}

/** Tasks the swarm has moved past: a failed one's error is kept for messages. */
const taskOf = (t: Obj): SwarmTask => ({
  id: t.ID,
  serviceId: t.ServiceID,
  slot: t.Slot || undefined,
  nodeId: t.NodeID ?? '',
  desiredState: t.DesiredState ?? '',
  state: (t.Status?.State ?? 'new') as TaskState,
  message: t.Status?.Message ?? '',
  error: t.Status?.Err || undefined,
  containerId: t.Status?.ContainerStatus?.ContainerID || undefined,
  ports: (t.Status?.PortStatus?.Ports ?? []).map((p: Obj) => ({
    target: p.TargetPort,
    published: p.PublishedPort,
    protocol: p.Protocol ?? 'tcp',
  })),
  timestamp: t.Status?.Timestamp ?? t.UpdatedAt ?? '',
});

const objectOf = (o: Obj): SwarmObject => ({
  id: o.ID ?? o.Id ?? o.Name,
  name: o.Spec?.Name ?? o.Name,
  labels: o.Spec?.Labels ?? o.Labels ?? {},
});

export class DockerSwarm implements SwarmEngine {
  constructor(private readonly api: DockerApi) {}

  get endpoint() {
    return this.api.endpoint;
  }

  async info(): Promise<SwarmInfo> {
    const i = await this.api.request<Obj>('GET', '/info');
    const s = i.Swarm ?? {};
    return {
      nodeId: s.NodeID ?? '',
      localState: s.LocalNodeState ?? 'inactive',
      manager: !!s.ControlAvailable,
      nodes: s.Nodes,
    };
  }

  async listNodes(): Promise<SwarmNode[]> {
    const l = await this.api.request<Obj[]>('GET', '/nodes');
    return l.map((n) => ({
      id: n.ID,
      hostname: n.Description?.Hostname ?? n.ID,
      role: n.Spec?.Role ?? 'worker',
      state: n.Status?.State ?? 'unknown',
      availability: n.Spec?.Availability ?? 'active',
      addr: n.Status?.Addr,
    }));
  }

  async listServices(labels: string[]): Promise<ObservedSwarmService[]> {
    const l = await this.api.request<Obj[]>('GET', '/services', { query: { filters: labelFilters(labels) } });
    return l.map((s) => ({
      id: s.ID,
      name: s.Spec?.Name,
      version: s.Version?.Index ?? 0,
      labels: s.Spec?.Labels ?? {},
      replicas: s.Spec?.Mode?.Replicated?.Replicas,
      healthcheck:
        !!s.Spec?.TaskTemplate?.ContainerSpec?.Healthcheck?.Test?.length &&
        s.Spec.TaskTemplate.ContainerSpec.Healthcheck.Test[0] !== 'NONE',
      update: s.UpdateStatus ? { state: s.UpdateStatus.State, message: s.UpdateStatus.Message } : undefined,
    }));
  }

  async createService(spec: SwarmServiceSpec): Promise<string> {
    const r = await this.api.request<Obj>('POST', '/services/create', { body: dockerServiceSpec(spec) });
    return r.ID;
  }

  async updateService(id: string, version: number, spec: SwarmServiceSpec, opts: { force?: boolean } = {}) {
    const body = dockerServiceSpec(spec);
    if (opts.force) {
      // ForceUpdate is a counter: a value different from the current one redeploys every task.
      const cur = await this.api.request<Obj>('GET', `/services/${encodeURIComponent(id)}`);
      body.TaskTemplate.ForceUpdate = (cur.Spec?.TaskTemplate?.ForceUpdate ?? 0) + 1;
      version = cur.Version?.Index ?? version;
    }
    await this.api.request('POST', `/services/${encodeURIComponent(id)}/update`, {
      query: { version },
      body,
    });
  }

  async removeService(id: string) {
    await this.api.request('DELETE', `/services/${encodeURIComponent(id)}`).catch(notFoundOk);
  }

  async listTasks(serviceIds: string[]): Promise<SwarmTask[]> {
    if (!serviceIds.length) return [];
    const l = await this.api.request<Obj[]>('GET', '/tasks', {
      query: { filters: JSON.stringify({ service: serviceIds }) },
    });
    return l.map(taskOf);
  }

  serviceLogs(id: string, o: SwarmLogOptions): Promise<Readable> {
    return this.api.stream(
      `/services/${encodeURIComponent(id)}/logs`,
      {
        stdout: true,
        stderr: true,
        follow: o.follow,
        timestamps: o.timestamps,
        tail: o.tail === undefined ? 'all' : String(o.tail),
        since: o.since,
      },
      o.signal,
    );
  }

  async listNetworks(labels: string[]): Promise<SwarmObject[]> {
    const l = await this.api.request<Obj[]>('GET', '/networks', {
      query: { filters: labelFilters(labels, { driver: ['overlay'] }) },
    });
    return l.map(objectOf);
  }

  async createNetwork(o: {
    name: string;
    labels: Record<string, string>;
    attachable: boolean;
    internal: boolean;
  }) {
    try {
      await this.api.request('POST', '/networks/create', {
        body: {
          Name: o.name,
          Driver: 'overlay',
          Attachable: o.attachable,
          Internal: o.internal,
          Labels: o.labels,
          CheckDuplicate: true,
        },
      });
    } catch (err) {
      if (!isEngineError(err, 'conflict')) throw err;
      const project = o.labels['dev.berth.project'];
      const mine = await this.listNetworks([`dev.berth.project=${project}`]);
      if (!mine.some((n) => n.name === o.name))
        throw new EngineError('conflict', `network ${o.name} exists and is not this project's`, 409);
    }
  }

  async removeNetwork(id: string) {
    await this.api.request('DELETE', `/networks/${encodeURIComponent(id)}`).catch(notFoundOk);
  }

  async listSecrets(labels: string[]) {
    const l = await this.api.request<Obj[]>('GET', '/secrets', { query: { filters: labelFilters(labels) } });
    return l.map(objectOf);
  }

  async createSecret(o: { name: string; labels: Record<string, string>; data: Buffer }) {
    await this.api
      .request('POST', '/secrets/create', {
        body: { Name: o.name, Labels: o.labels, Data: o.data.toString('base64') },
      })
      .catch(existsOk);
  }

  async removeSecret(id: string) {
    await this.api.request('DELETE', `/secrets/${encodeURIComponent(id)}`).catch(notFoundOk);
  }

  async listConfigs(labels: string[]) {
    const l = await this.api.request<Obj[]>('GET', '/configs', { query: { filters: labelFilters(labels) } });
    return l.map(objectOf);
  }

  async createConfig(o: { name: string; labels: Record<string, string>; data: Buffer }) {
    await this.api
      .request('POST', '/configs/create', {
        body: { Name: o.name, Labels: o.labels, Data: o.data.toString('base64') },
      })
      .catch(existsOk);
  }

  async removeConfig(id: string) {
    await this.api.request('DELETE', `/configs/${encodeURIComponent(id)}`).catch(notFoundOk);
  }

  async listVolumes(labels: string[]) {
    const r = await this.api.listVolumes({ filters: labelFilters(labels) });
    return (r.Volumes ?? []).map((v) => ({ id: v.Name, name: v.Name, labels: v.Labels ?? {} }));
  }

  async removeVolume(name: string) {
    await this.api.removeVolume(name).catch(notFoundOk);
  }

  async pushImage(ref: string) {
    const i = ref.lastIndexOf(':');
    const slash = ref.lastIndexOf('/');
    const [name, tag] = i > slash ? [ref.slice(0, i), ref.slice(i + 1)] : [ref, 'latest'];
    // Without an X-Registry-Auth header the engine reads the credentials from the body: none, for a registry
    // without auth.
    const out = await this.api.request<unknown>('POST', `/images/${name}/push`, { query: { tag }, body: {} });
    const text = Buffer.isBuffer(out) ? out.toString('utf8') : JSON.stringify(out ?? '');
    const m = /"error"\s*:\s*"([^"]*)"/.exec(text);
    if (m) throw new EngineError('failed', `push of ${ref} failed: ${m[1]}`);
  }
}

const notFoundOk = (err: unknown) => {
  if (!isEngineError(err, 'not-found')) throw err;
};
const existsOk = (err: unknown) => {
  if (!isEngineError(err, 'conflict')) throw err;
};

/** The swarm port of the engine DOCKER_HOST names (a local socket: the light client; else dockerode). */
export async function connectSwarm(env = process.env): Promise<SwarmEngine> {
  const sock = localSocket(env);
  if (sock) return new DockerSwarm(lightApi(sock, engineTimeoutMs(env)));
  const [{ default: Docker }, { dockerodeApi }] = await Promise.all([
    import('dockerode'),
    import('./dockerode-api.js'),
  ]);
  return new DockerSwarm(dockerodeApi(new Docker(), env.DOCKER_HOST ?? 'the Docker engine'));
}
