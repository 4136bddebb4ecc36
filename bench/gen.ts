// Generated benchmark stacks: one in-memory model rendered as a Compose file (berth, docker-compose and
// dockerode-compose read the same file) and handed as JSON to the floor script, so every tool runs the very
// same containers.

export type Shape = 'flat' | 'layered';

export const BENCH_IMAGE = 'berth/busybox:latest';
/** Long-lived, and stops at once: tini (init: true) forwards SIGTERM to sleep, so no tool waits a grace period. */
export const BENCH_COMMAND = ['sleep', '86400'];

export interface GenPort {
  host: number;
  container: number;
}

export interface GenService {
  name: string;
  dependsOn: string[];
  ports: GenPort[];
  /** Named volume key → mount target. */
  volumes: Record<string, string>;
  environment: Record<string, string>;
}

export interface GenStack {
  shape: Shape;
  size: number;
  /** In dependency order (dependencies first), which is also a valid start order. */
  services: GenService[];
  volumes: string[];
}

/** lb → web → app → db → store, as shares of the stack: 10-20-40-20-10 %. */
const LAYERS = [
  { name: 'lb', share: 1, port: true, volume: false },
  { name: 'web', share: 2, port: true, volume: false },
  { name: 'app', share: 4, port: false, volume: false },
  { name: 'db', share: 2, port: false, volume: true },
  { name: 'store', share: 1, port: false, volume: true },
] as const;

function layerSizes(size: number): number[] {
  const total = LAYERS.reduce((n, l) => n + l.share, 0);
  const sizes = LAYERS.map((l) => Math.max(1, Math.floor((size * l.share) / total)));
  // Give the rounding remainder to the app layer so the stack has exactly `size` services.
  sizes[2]! += size - sizes.reduce((a, b) => a + b, 0);
  if (sizes[2]! < 1) throw new Error(`layered stack needs at least ${LAYERS.length} services`);
  return sizes;
}

export function portsNeeded(shape: Shape, size: number): number {
  if (shape === 'flat') return 0;
  const sizes = layerSizes(size);
  return LAYERS.reduce((n, l, i) => n + (l.port ? sizes[i]! : 0), 0);
}

const base = (name: string): GenService => ({
  name,
  dependsOn: [],
  ports: [],
  volumes: {},
  environment: { BENCH_SERVICE: name, BENCH_REV: '1' },
});

/**
 * Build a stack. Layered: each upper service depends on the lower layer's members j with j % upperCount == i
 * when the lower layer is wider (fan-out: one web → several apps), else on member i % lowerCount; so every
 * service below lb has at least one dependent. `hostPorts` must hold portsNeeded(shape, size) free ports.
 */
export function generateStack(shape: Shape, size: number, hostPorts: number[]): GenStack {
  if (shape === 'flat') {
    const services = Array.from({ length: size }, (_, i) => base(`svc-${i + 1}`));
    return { shape, size, services, volumes: [] };
  }
  if (hostPorts.length < portsNeeded(shape, size)) throw new Error('not enough host ports');
  const sizes = layerSizes(size);
  const names = LAYERS.map((l, k) => Array.from({ length: sizes[k]! }, (_, i) => `${l.name}-${i + 1}`));
  const services: GenService[] = [];
  const volumes: string[] = [];
  let port = 0;
  // Bottom layer first so `services` is in dependency order.
  for (let k = LAYERS.length - 1; k >= 0; k--) {
    const layer = LAYERS[k]!;
    const mine = names[k]!;
    const below = names[k + 1] ?? [];
    mine.forEach((name, i) => {
      const s = base(name);
      if (below.length >= mine.length) s.dependsOn = below.filter((_, j) => j % mine.length === i);
      else if (below.length > 0) s.dependsOn = [below[i % below.length]!];
      if (layer.port) s.ports.push({ host: hostPorts[port++]!, container: 80 });
      if (layer.volume) {
        s.volumes[`${name}-data`] = '/data';
        volumes.push(`${name}-data`);
      }
      services.push(s);
    });
  }
  return { shape, size, services, volumes };
}

/** The service each tool is asked to recreate: a middle-layer service (it has dependents and dependencies). */
export function recreateTarget(stack: GenStack): string {
  return stack.shape === 'layered' ? 'app-1' : 'svc-1';
}

/** The same stack with one service's environment changed: the one-service recreate scenario. */
export function withChangedService(stack: GenStack, service: string, rev: string): GenStack {
  return {
    ...stack,
    services: stack.services.map((s) =>
      s.name === service ? { ...s, environment: { ...s.environment, BENCH_REV: rev } } : s,
    ),
  };
}
