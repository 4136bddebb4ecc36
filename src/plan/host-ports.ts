// Host ports a stack asks for, and whether a published port takes one of them: shared by `up`'s preflight and
// `berth use`'s switch check, so both see the same ports and the same address overlap.
import type { PortSpec, Stack } from '../spec/types.js';

export interface HostPort {
  service: string;
  hostIp: string;
  port: number;
  protocol: string;
}

/** A host range ("8000-8001"): the engine hands each replica one of its ports, so replicas share it. */
export const isRange = (p: PortSpec) => p.published?.includes('-') ?? false;

/**
 * Host ports a service's ports publish: a fixed port, and every port of a range (any of them may be the one the
 * engine picks, so each must be free). Ephemeral ports are the engine's to pick and are left out.
 */
export function hostPortsOf(service: string, ports: readonly PortSpec[]): HostPort[] {
  const out: HostPort[] = [];
  for (const p of ports) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(p.published ?? '');
    if (!m) continue;
    const first = Number(m[1]);
    const last = m[2] === undefined ? first : Number(m[2]);
    for (let port = first; port <= last; port++)
      out.push({ service, hostIp: p.host_ip || '0.0.0.0', port, protocol: p.protocol });
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
