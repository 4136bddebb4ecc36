// Compose port syntaxes (short `[IP:][HOST:]CONTAINER[/PROTO]` with ranges and IPv6, and the long map) →
// PortSpec. berth publishes on 127.0.0.1 when the file names no host IP.
import { isObj, opt, type SvcCtx, str } from './normalize-common.js';
import type { Path } from './source.js';
import type { PortSpec } from '../model/stack.js';

/** Numbers read better bare (`99999 is not a port`); anything else is quoted so spaces and empties show. */
const shown = (s: string) => (/^\d+(-\d+)?$/.test(s) ? s : JSON.stringify(s));

function parsePortNum(s: string): number | undefined {
  if (!/^\d+$/.test(s)) return undefined;
  const n = Number(s);
  return n >= 0 && n <= 65535 ? n : undefined;
}

function parseRange(s: string): [number, number] | undefined {
  const m = /^(\d+)(?:-(\d+))?$/.exec(s);
  if (!m) return undefined;
  const a = parsePortNum(m[1]!);
  const b = m[2] === undefined ? a : parsePortNum(m[2]);
  if (a === undefined || b === undefined || b < a) return undefined;
  return [a, b];
}

const PROTOCOLS = ['tcp', 'udp', 'sctp'];

/**
 * Ranges expand to one PortSpec per port. A stack may publish every port once per protocol (and clash once), but a hundred
 * services each with `1-65535:1-65535` would be millions of objects before any check could say no.
 */
const MAX_PORTS = 4 * 65536;
/** Ports expanded so far in one load (its Sources object is shared by every service's context). */
const expanded = new WeakMap<object, number>();

export function ports(raw: unknown, at: Path, ctx: SvcCtx): PortSpec[] {
  const bad = (
    msg: string,
    hint = 'write [HOST_IP:][HOST_PORT:]CONTAINER_PORT[/PROTOCOL], e.g. "8080:80"',
  ) => {
    ctx.err(at, msg, hint);
    return [];
  };
  if (isObj(raw)) {
    const target = Number(raw.target);
    if (!Number.isInteger(target) || target < 1 || target > 65535)
      return bad(`${str(raw.target)} is not a port (1-65535)`);
    const published = raw.published === undefined || raw.published === null ? undefined : str(raw.published);
    if (published !== undefined && published !== '' && !validPublished(published))
      return bad(`${published} is not a port (1-65535)`);
    const protocol = str(raw.protocol ?? 'tcp');
    if (!PROTOCOLS.includes(protocol)) return bad(`unknown protocol ${protocol}`, 'use tcp, udp or sctp');
    return [
      {
        target,
        published: published || undefined,
        host_ip: raw.host_ip ? str(raw.host_ip) : '127.0.0.1',
        protocol: protocol as PortSpec['protocol'],
        mode: raw.mode === undefined ? undefined : (str(raw.mode) as PortSpec['mode']),
        name: opt(raw.name),
        app_protocol: opt(raw.app_protocol),
      },
    ];
  }
  const text = str(raw);
  let rest = text;
  let protocol = 'tcp';
  const slash = rest.lastIndexOf('/');
  if (slash >= 0) {
    protocol = rest.slice(slash + 1);
    rest = rest.slice(0, slash);
    if (!PROTOCOLS.includes(protocol))
      return bad(`unknown protocol ${protocol} in ${JSON.stringify(text)}`, 'use tcp, udp or sctp');
  }
  let hostIp: string | undefined;
  const v6 = /^\[([0-9a-fA-F:.]+)\]:(.*)$/.exec(rest);
  if (v6) {
    hostIp = v6[1];
    rest = v6[2]!;
  }
  const parts = rest.split(':');
  if (!hostIp && parts.length > 3) {
    // bare IPv6 host ip without brackets: the last two fields are the ports
    hostIp = parts.slice(0, -2).join(':');
    parts.splice(0, parts.length - 2);
  }
  if (parts.length === 3) {
    hostIp = parts[0];
    parts.shift();
  }
  const containerPart = parts[parts.length - 1]!;
  const hostPart = parts.length === 2 ? parts[0]! : undefined;
  const c = parseRange(containerPart);
  if (!c || c[0] < 1) return bad(`${shown(containerPart)} is not a port (1-65535)`);
  const h = hostPart ? parseRange(hostPart) : undefined;
  if (hostPart && !h) return bad(`${shown(hostPart)} is not a port (1-65535)`);
  const ip = hostIp || '127.0.0.1';
  const n = c[1] - c[0] + 1;
  if (h && h[1] - h[0] + 1 !== n && n !== 1) {
    return bad(
      `host range ${hostPart} and container range ${containerPart} differ in size`,
      'give ranges of equal length',
    );
  }
  const total = (expanded.get(ctx.sources) ?? 0) + n;
  if (total > MAX_PORTS)
    return bad(
      `the stack publishes more than ${MAX_PORTS.toLocaleString('en-US')} ports in all (a range counts each of its ports)`,
      'publish smaller port ranges',
    );
  expanded.set(ctx.sources, total);
  const out: PortSpec[] = [];
  for (let i = 0; i < n; i++) {
    let published: string | undefined;
    if (h) published = n === 1 ? (h[0] === h[1] ? String(h[0]) : `${h[0]}-${h[1]}`) : String(h[0] + i);
    if (published === '0') published = undefined;
    out.push({ target: c[0] + i, published, host_ip: ip, protocol: protocol as PortSpec['protocol'] });
  }
  return out;
}

function validPublished(p: string): boolean {
  const r = parseRange(p);
  return r !== undefined;
}
