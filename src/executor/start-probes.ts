// Healthcheck `start_interval` on every engine: Docker before 25 (API < 1.44) ignores it and runs the first
// check a whole `interval` after start, so while a container is still `starting` berth runs the check itself
// (an exec of the same test) at `start_interval`, and a pass lets its dependents start.
import type { Stack } from '../model/stack.js';
import type { Engine } from '../engine/port.js';
import type { StartProbe } from './wait.js';

export type StartProbeFor = (service: string) => StartProbe | undefined;

/** The engine's own `start_interval` support arrived with API 1.44 (Docker 25). */
export function engineHonoursStartInterval(apiVersion: string | undefined): boolean {
  const [major, minor] = (apiVersion ?? '0.0').split('.').map(Number);
  return (major ?? 0) > 1 || ((major ?? 0) === 1 && (minor ?? 0) >= 44);
}

/** The command an exec runs for a healthcheck test (`CMD …` or `CMD-SHELL …`); undefined for `NONE`. */
export function probeCommand(test: string[]): string[] | undefined {
  const [kind, ...rest] = test;
  if (kind === 'CMD' && rest.length) return rest;
  if (kind === 'CMD-SHELL' && rest.length) return ['/bin/sh', '-c', rest.join(' ')];
  return undefined;
}

export async function startProbes(engine: Engine, stack: Stack): Promise<StartProbeFor> {
  const wanting = Object.values(stack.services).filter(
    (s) => s.healthcheck?.startIntervalMs && !s.healthcheck.disable,
  );
  if (!wanting.length) return () => undefined;
  const api = await engine.engineApi().catch(() => undefined);
  if (engineHonoursStartInterval(api)) return () => undefined;
  const probes = new Map<string, StartProbe>();
  for (const svc of wanting) {
    const hc = svc.healthcheck!;
    const cmd = probeCommand(hc.test);
    if (cmd) probes.set(svc.name, { cmd, everyMs: hc.startIntervalMs!, timeoutMs: hc.timeoutMs ?? 30_000 });
  }
  return (service) => probes.get(service);
}
