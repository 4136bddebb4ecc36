// Healthchecks that ask for a `start_interval` get it even on engines that ignore it (API < 1.44): berth
// runs the check itself at that pace while the container is `starting`. The engine is asked its version only
// when some service wants this.
import type Docker from 'dockerode';
import { engineHonoursStartInterval, probeCommand } from '../engine/health-probe.js';
import type { Stack } from '../compose/types.js';
import type { StartProbe } from './wait.js';

export type StartProbeFor = (service: string) => StartProbe | undefined;

export async function startProbes(docker: Docker, stack: Stack): Promise<StartProbeFor> {
  const wanting = Object.values(stack.services).filter(
    (s) => s.healthcheck?.startIntervalMs && !s.healthcheck.disable,
  );
  if (!wanting.length) return () => undefined;
  const api = await docker.version().then(
    (v) => v.ApiVersion,
    () => undefined,
  );
  if (engineHonoursStartInterval(api)) return () => undefined;
  const probes = new Map<string, StartProbe>();
  for (const svc of wanting) {
    const hc = svc.healthcheck!;
    const cmd = probeCommand(hc.test);
    if (cmd) probes.set(svc.name, { cmd, everyMs: hc.startIntervalMs!, timeoutMs: hc.timeoutMs ?? 30_000 });
  }
  return (service) => probes.get(service);
}
