// Host ports a stack asks for, and whether a published port takes one of them: shared by `up`'s preflight and
// `berth use`'s switch check, so both see the same ports and the same address overlap.
import type { PortSpec, Stack } from '../model/stack.js';

export interface HostPort {
  service: string;
  hostIp: string;
  port: number;
  protocol: string;
}

/**
 * Fixed host ports a service publishes. A host range on one container port ("8000-8001:80") is left out, like an
 * ephemeral port: the engine gives each container the first free port of the range, so a taken port inside
 * it is not a clash. (A range on a range, "8000-8001:80-81", is already two fixed ports after normalizing.)
 */
export function hostPortsOf(service: string, ports: readonly PortSpec[]): HostPort[] {
  const out: HostPort[] = [];
  for (const p of ports) {
    if (!p.published || !/^\d+$/.test(p.published)) continue;
    out.push({ service, hostIp: p.host_ip || '0.0.0.0', port: Number(p.published), protocol: p.protocol });
  }
  return out;
}

/** Host ports every service of the stack publishes. */
export function stackHostPorts(stack: Pick<Stack, 'services'>): HostPort[] {
  return Object.values(stack.services).flatMap((svc) => hostPortsOf(svc.name, svc.ports));
}

const anyAddress = (ip: string) => ip === '' || ip === '0.0.0.0' || ip === '::';

/** Two host IPs collide when they are equal or either is a wildcard address. */
export const ipsOverlap = (a: string, b: string) => a === b || anyAddress(a) || anyAddress(b);

/** Whether a port a container publishes (as the engine lists it) takes the wanted host port. */
export const takes = (p: { hostIp: string; hostPort: number; protocol: string }, w: HostPort) =>
  p.hostPort === w.port && p.protocol === w.protocol && ipsOverlap(p.hostIp, w.hostIp);
