// An in-memory swarm manager behind the swarm port (src/engine/swarm-port.ts), for unit tests of ops/deploy.ts:
// services get their replicas as running tasks on the first node at once, objects are kept by name, and every
// call is recorded so a test can say what berth did (or did not) ask the swarm to do.
import { Readable } from 'node:stream';
import type {
  ObservedSwarmService,
  SwarmEngine,
  SwarmInfo,
  SwarmNode,
  SwarmObject,
  SwarmServiceSpec,
  SwarmTask,
} from '../../src/engine/swarm-port.js';
import type { Labels } from '../../src/model/labels.js';
import { matchesSelectors } from './fake-engine.js';

interface FakeService {
  id: string;
  spec: SwarmServiceSpec;
  version: number;
}

export class FakeSwarm implements SwarmEngine {
  readonly endpoint = 'fake-swarm';
  /** What `info()` says: a manager of an active swarm unless a test says otherwise. */
  state: SwarmInfo = { nodeId: 'node-1', localState: 'active', manager: true, nodes: 1 };
  nodes: SwarmNode[] = [
    { id: 'node-1', hostname: 'one', role: 'manager', state: 'ready', availability: 'active' },
  ];
  readonly calls: Array<{ method: string; target?: string }> = [];
  readonly pushed: string[] = [];
  private readonly services = new Map<string, FakeService>();
  private readonly objects = {
    network: new Map<string, SwarmObject>(),
    secret: new Map<string, SwarmObject>(),
    config: new Map<string, SwarmObject>(),
    volume: new Map<string, SwarmObject>(),
  };
  private counter = 0;

  /** Calls that change the swarm (or push an image). */
  mutations() {
    return this.calls.filter((c) => /^(create|update|remove|push)/.test(c.method));
  }

  private record(method: string, target?: string) {
    this.calls.push({ method, target });
  }
  private id(prefix: string) {
    return `${prefix}${++this.counter}`;
  }
  private select<T extends { labels: Labels }>(items: Iterable<T>, labels: string[]): T[] {
    return [...items].filter((i) => matchesSelectors(i.labels, labels));
  }

  async info() {
    this.record('info');
    return { ...this.state };
  }
  async listNodes() {
    this.record('listNodes');
    return [...this.nodes];
  }

  async listServices(labels: string[]): Promise<ObservedSwarmService[]> {
    this.record('listServices');
    return [...this.services.values()]
      .filter((s) => matchesSelectors(s.spec.labels, labels))
      .map((s) => ({
        id: s.id,
        name: s.spec.name,
        version: s.version,
        labels: { ...s.spec.labels },
        replicas: 'replicated' in s.spec.mode ? s.spec.mode.replicated : undefined,
        healthcheck: !!s.spec.healthcheck && s.spec.healthcheck.test[0] !== 'NONE',
        update: { state: 'completed' },
      }));
  }
  async createService(spec: SwarmServiceSpec) {
    this.record('createService', spec.name);
    const id = this.id('svc');
    this.services.set(id, { id, spec: structuredClone(spec), version: ++this.counter });
    return id;
  }
  async updateService(id: string, version: number, spec: SwarmServiceSpec) {
    this.record('updateService', spec.name);
    const s = this.services.get(id);
    if (!s) throw new Error(`no service ${id}`);
    if (s.version !== version) throw new Error(`update of ${spec.name} out of sequence`);
    s.spec = structuredClone(spec);
    s.version = ++this.counter;
  }
  async removeService(id: string) {
    this.record('removeService', this.services.get(id)?.spec.name);
    this.services.delete(id);
  }
  async listTasks(serviceIds: string[]): Promise<SwarmTask[]> {
    this.record('listTasks');
    return serviceIds.flatMap((sid) => {
      const s = this.services.get(sid);
      if (!s) return [];
      const n = 'replicated' in s.spec.mode ? s.spec.mode.replicated : this.nodes.length;
      return Array.from({ length: n }, (_, i) => ({
        id: `${sid}-task${i + 1}`,
        serviceId: sid,
        slot: i + 1,
        nodeId: this.nodes[0]!.id,
        desiredState: 'running',
        state: 'running' as const,
        message: 'started',
        ports: [],
        timestamp: new Date(0).toISOString(),
      }));
    });
  }
  async serviceLogs() {
    this.record('serviceLogs');
    return Readable.from([]);
  }

  private listOf(kind: keyof FakeSwarm['objects'], labels: string[]) {
    this.record(`list-${kind}`);
    return Promise.resolve(this.select(this.objects[kind].values(), labels));
  }
  private add(kind: keyof FakeSwarm['objects'], name: string, labels: Labels) {
    if (!this.objects[kind].has(name)) this.objects[kind].set(name, { id: this.id(kind), name, labels });
  }
  private drop(kind: keyof FakeSwarm['objects'], idOrName: string) {
    for (const [name, o] of this.objects[kind])
      if (o.id === idOrName || name === idOrName) this.objects[kind].delete(name);
  }

  listNetworks(labels: string[]) {
    return this.listOf('network', labels);
  }
  async createNetwork(o: { name: string; labels: Labels }) {
    this.record('createNetwork', o.name);
    this.add('network', o.name, o.labels);
  }
  async removeNetwork(id: string) {
    this.record('removeNetwork', id);
    this.drop('network', id);
  }
  listSecrets(labels: string[]) {
    return this.listOf('secret', labels);
  }
  async createSecret(o: { name: string; labels: Labels }) {
    this.record('createSecret', o.name);
    this.add('secret', o.name, o.labels);
  }
  async removeSecret(id: string) {
    this.record('removeSecret', id);
    this.drop('secret', id);
  }
  listConfigs(labels: string[]) {
    return this.listOf('config', labels);
  }
  async createConfig(o: { name: string; labels: Labels }) {
    this.record('createConfig', o.name);
    this.add('config', o.name, o.labels);
  }
  async removeConfig(id: string) {
    this.record('removeConfig', id);
    this.drop('config', id);
  }
  listVolumes(labels: string[]) {
    return this.listOf('volume', labels);
  }
  async removeVolume(name: string) {
    this.record('removeVolume', name);
    this.drop('volume', name);
  }
  async pushImage(ref: string) {
    this.record('pushImage', ref);
    this.pushed.push(ref);
  }
}
