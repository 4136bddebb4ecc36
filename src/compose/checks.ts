// Cross-service checks at load time: what fails late and vaguely on the engine, reported at both lines.
import type { NormalizeContext } from './normalize-common.js';
import type { Path } from './source.js';
import type { PortSpec, Service } from '../model/stack.js';

/**
 * The file lines a service's ports came from: `ports[from, from + count)` were written at `at`. A range expands
 * into one PortSpec per port; the checks take a line's ports back together, so `1-65535:1-65535` is checked as
 * one range, not 65,535 times.
 */
export interface PortLine {
  at: Path;
  from: number;
  count: number;
}
export const portLines = new WeakMap<Service, PortLine[]>();

function portRange(p: PortSpec): [number, number] | undefined {
  if (!p.published) return undefined;
  const [a, b = a] = p.published.split('-').map(Number) as [number, number?];
  return [a, b ?? a];
}

/**
 * The host port ranges a line's ports publish: consecutive single ports on one address and protocol (what a
 * range expanded into) joined into one, each with its first PortSpec. Ports without a host port are left out.
 */
function* runs(ports: PortSpec[], from: number, to: number): Generator<[PortSpec, [number, number]]> {
  let first: PortSpec | undefined;
  let range: [number, number] = [0, 0];
  for (let i = from; i < to; i++) {
    const p = ports[i]!;
    const r = portRange(p);
    if (!r) continue;
    const joins =
      first !== undefined &&
      r[0] === r[1] &&
      range[1] + 1 === r[0] &&
      p.host_ip === first.host_ip &&
      p.protocol === first.protocol &&
      !first.published!.includes('-');
    if (joins) {
      range[1] = r[0];
      continue;
    }
    if (first) yield [first, range];
    first = p;
    range = r;
  }
  if (first) yield [first, range];
}

const anyIp = (ip: string) => ip === '0.0.0.0' || ip === '::' || ip === '';

interface Published {
  svc: string;
  /** The line of the file that published it. */
  at: Path;
  port: PortSpec;
  range: [number, number];
  /** Order of publication: a clash names the first service that took the port. */
  seq: number;
}

/**
 * Host ports published so far, per protocol: single ports in a map by number and the (rare) `8000-8010:80`
 * ranges in a list, so a file publishing all 65,535 ports is checked in linear time, not pair by pair.
 */
class PublishedPorts {
  private readonly single = new Map<string, Map<number, Published[]>>();
  private readonly singleCount = new Map<string, number>();
  private readonly wide = new Map<string, Published[]>();
  private seq = 0;

  /** The earliest published port this one would clash with, if any. */
  clash(port: PortSpec, range: [number, number]): Published | undefined {
    const compatible = (o: Published) =>
      (o.port.host_ip === port.host_ip || anyIp(o.port.host_ip) || anyIp(port.host_ip)) &&
      o.range[0] <= range[1] &&
      range[0] <= o.range[1];
    let best: Published | undefined;
    const consider = (o: Published) => {
      if ((best === undefined || o.seq < best.seq) && compatible(o)) best = o;
    };
    for (const o of this.wide.get(port.protocol) ?? []) consider(o);
    const single = this.single.get(port.protocol);
    if (single) {
      const width = range[1] - range[0] + 1;
      if (width <= (this.singleCount.get(port.protocol) ?? 0)) {
        for (let p = range[0]; p <= range[1]; p++) for (const o of single.get(p) ?? []) consider(o);
      } else {
        for (const list of single.values()) for (const o of list) consider(o);
      }
    }
    return best;
  }

  add(svc: string, at: Path, port: PortSpec, range: [number, number]): void {
    const entry: Published = { svc, at, port, range, seq: this.seq++ };
    const proto = port.protocol;
    if (range[0] !== range[1]) {
      const list = this.wide.get(proto) ?? [];
      list.push(entry);
      this.wide.set(proto, list);
      return;
    }
    let byPort = this.single.get(proto);
    if (!byPort) {
      byPort = new Map();
      this.single.set(proto, byPort);
    }
    const list = byPort.get(range[0]) ?? [];
    list.push(entry);
    byPort.set(range[0], list);
    this.singleCount.set(proto, (this.singleCount.get(proto) ?? 0) + 1);
  }
}

/**
 * What only shows across services: two services (or replicas) publishing the same host port, a container
 * name used twice. These fail late on the engine with a vaguer message; here they point at both lines.
 */
export function crossChecks(
  services: Record<string, Service>,
  ctx: NormalizeContext,
  err: (p: Path, msg: string, hint?: string) => void,
): void {
  const published = new PublishedPorts();
  buildOrderChecks(services, err);
  for (const svc of Object.values(services)) {
    if (svc.network_mode === 'host' && svc.ports.length > 0) {
      ctx.warnings.push(
        `service \`${svc.name}\`: \`ports\` are ignored with \`network_mode: host\` (the container uses the host's ports directly)`,
      );
      continue;
    }
    const lines = portLines.get(svc) ?? [
      { at: ['services', svc.name, 'ports'], from: 0, count: svc.ports.length },
    ];
    // one error per line of the file at most, however many ports its range expanded into
    line: for (const { at, from, count } of lines) {
      for (const [port, range] of runs(svc.ports, from, from + count)) {
        // a host range of its own (`8000-8002:80`) gives each replica a port; single ports would be taken twice
        if (svc.replicas > 1 && !port.published!.includes('-')) {
          err(
            at,
            `host port ${port.published} cannot be published by ${svc.replicas} replicas at once`,
            `leave the host port out ("${port.target}") or give a range ("${range[0]}-${range[0] + svc.replicas - 1}:${port.target}")`,
          );
          continue line;
        }
        const clash = published.clash(port, range);
        if (clash) {
          const where = ctx.sources.locate(clash.at);
          err(
            at,
            `host port ${port.published!.includes('-') ? port.published : Math.max(range[0], clash.range[0])}/${port.protocol} is already published by service \`${clash.svc}\`${where ? ` (${where.pos.file}:${where.pos.line})` : ''}`,
            'give one of them another host port',
          );
          continue line;
        }
        published.add(svc.name, at, port, range);
      }
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

/**
 * `additional_contexts: {x: service:NAME}` makes NAME's image an input of the build: NAME must be a service of
 * the stack, and such references must not go round in a circle (no build could start).
 */
function buildOrderChecks(
  services: Record<string, Service>,
  err: (p: Path, msg: string, hint?: string) => void,
): void {
  const at = (s: string): Path => ['services', s, 'build', 'additional_contexts'];
  for (const svc of Object.values(services)) {
    for (const dep of svc.build?.after ?? []) {
      if (!Object.hasOwn(services, dep))
        err(
          at(svc.name),
          `\`service:${dep}\`: there is no service \`${dep}\``,
          'name a service of this stack',
        );
    }
  }
  // iterative walk: a chain of builds as long as the file makes must not overflow the stack
  const state = new Map<string, 'open' | 'done'>();
  for (const start of Object.keys(services)) {
    if (state.has(start)) continue;
    const trail: string[] = [];
    const todo: Array<{ name: string; deps: string[] }> = [];
    const push = (name: string) => {
      state.set(name, 'open');
      trail.push(name);
      todo.push({
        name,
        deps: (services[name]?.build?.after ?? []).filter((d) => Object.hasOwn(services, d)),
      });
    };
    push(start);
    while (todo.length > 0) {
      const top = todo[todo.length - 1]!;
      const next = top.deps.shift();
      if (next === undefined) {
        state.set(top.name, 'done');
        todo.pop();
        trail.pop();
      } else if (state.get(next) === 'open') {
        const cycle = [...trail.slice(trail.indexOf(next)), next];
        err(
          at(top.name),
          `build contexts go round in a circle: ${cycle.join(' → ')}`,
          'remove one `service:` context',
        );
        return;
      } else if (!state.has(next)) push(next);
    }
  }
}
