// Cross-service checks at load time: what fails late and vaguely on the engine, reported at both lines.
import type { NormalizeContext } from './normalize-common.js';
import type { Path } from './source.js';
import type { PortSpec, Service } from '../model/stack.js';

/** Where each normalized port came from (a range expands into several), for cross-service messages. */
export const portOrigin = new WeakMap<PortSpec, Path>();

function portRange(p: PortSpec): [number, number] | undefined {
  if (!p.published) return undefined;
  const [a, b = a] = p.published.split('-').map(Number) as [number, number?];
  return [a, b ?? a];
}

const anyIp = (ip: string) => ip === '0.0.0.0' || ip === '::' || ip === '';

/**
 * What only shows across services: two services (or replicas) publishing the same host port, a container
 * name used twice. These fail late on the engine with a vaguer message; here they point at both lines.
 */
export function crossChecks(
  services: Record<string, Service>,
  ctx: NormalizeContext,
  err: (p: Path, msg: string, hint?: string) => void,
): void {
  const seen: Array<{ svc: string; port: PortSpec; range: [number, number] }> = [];
  for (const svc of Object.values(services)) {
    if (svc.network_mode === 'host' && svc.ports.length > 0) {
      ctx.warnings.push(
        `service \`${svc.name}\`: \`ports\` are ignored with \`network_mode: host\` (the container uses the host's ports directly)`,
      );
      continue;
    }
    for (const port of svc.ports) {
      const range = portRange(port);
      if (!range) continue;
      const at = portOrigin.get(port) ?? ['services', svc.name, 'ports'];
      if (svc.replicas > 1 && range[0] === range[1]) {
        err(
          at,
          `host port ${port.published} cannot be published by ${svc.replicas} replicas at once`,
          `leave the host port out ("${port.target}") or give a range ("${range[0]}-${range[0] + svc.replicas - 1}:${port.target}")`,
        );
        continue;
      }
      const clash = seen.find(
        (o) =>
          o.port.protocol === port.protocol &&
          (o.port.host_ip === port.host_ip || anyIp(o.port.host_ip) || anyIp(port.host_ip)) &&
          o.range[0] <= range[1] &&
          range[0] <= o.range[1],
      );
      if (clash) {
        const where = ctx.sources.locate(portOrigin.get(clash.port) ?? ['services', clash.svc]);
        err(
          at,
          `host port ${port.published}/${port.protocol} is already published by service \`${clash.svc}\`${where ? ` (${where.pos.file}:${where.pos.line})` : ''}`,
          'give one of them another host port',
        );
        continue;
      }
      seen.push({ svc: svc.name, port, range });
    }
  }
  const names = new Map<string, string>();
  for (const svc of Object.values(services)) {
    if (!svc.container_name) continue;
    const other = names.get(svc.container_name);
    if (other)
      err(
        ['services', svc.name, 'container_name'],
        `container name \`${svc.container_name}\` is already used by service \`${other}\``,
        'container names must be unique; remove `container_name` to let berth name it',
      );
    else names.set(svc.container_name, svc.name);
  }
  for (const svc of Object.values(services)) {
    for (const [dep, d] of Object.entries(svc.depends_on)) {
      const target = services[dep];
      if (
        d.condition === 'service_healthy' &&
        target &&
        (!target.healthcheck || target.healthcheck.disable)
      ) {
        ctx.warnings.push(
          `service \`${svc.name}\` waits for \`${dep}\` to be healthy, but \`${dep}\` has no healthcheck in the file (fine only if its image defines one)`,
        );
      }
    }
  }
}
