// Hand-made Stack values for unit tests of the planner, hash and engine spec (no YAML, no engine).
import type { ObservedContainer, ObservedState } from '../../src/model/index.js';
import { defaultNetwork, plainService, type Service, type Stack } from '../../src/model/stack.js';

export function service(name: string, over: Partial<Service> = {}): Service {
  return { ...plainService(name, 'berth/busybox:latest'), command: ['sleep', '3600'], ...over };
}

export function stack(services: Service[], over: Partial<Stack> = {}): Stack {
  const project = over.project ?? 'demo';
  return {
    name: project,
    project,
    workingDir: '/srv/demo',
    files: ['/srv/demo/berth.yaml'],
    services: Object.fromEntries(services.map((s) => [s.name, s])),
    disabledServices: [],
    networks: { default: defaultNetwork(project) },
    volumes: {},
    warnings: [],
    ...over,
  };
}

export function container(
  over: Partial<ObservedContainer> & { service: string; replica: number },
): ObservedContainer {
  const project = over.project ?? 'demo';
  return {
    id: `${over.service}${over.replica}`.padEnd(64, '0'),
    name: `${project}-${over.service}-${over.replica}`,
    project,
    hash: '',
    state: 'running',
    status: 'Up 1 minute',
    image: 'berth/busybox:latest',
    imageId: 'sha256:img',
    command: 'sleep 3600',
    created: 0,
    networks: [`${project}_default`],
    ports: [],
    labels: {},
    oneoff: false,
    ...over,
  };
}

export function observed(containers: ObservedContainer[], over: Partial<ObservedState> = {}): ObservedState {
  return {
    project: 'demo',
    containers,
    networks: [{ id: 'n1', name: 'demo_default', labels: { 'dev.berth.network': 'default' } }],
    volumes: [],
    ...over,
  };
}
