// Checks made before anything is created, so a failing `up` leaves nothing half-applied: every host port the
// plan will publish must be free, and when it is not, the message names who holds it.
import { readdir, readFile, readlink } from 'node:fs/promises';
import type { Engine } from '../engine/port.js';
import { probePort } from './port-probe.js';
import { BerthError, BerthErrors, ExitCode } from '../errors.js';
import { createBlockers } from '../engine/create-options.js';
import { type HostPort, hostPortsOf, ipsOverlap } from '../plan/host-ports.js';
import { clashMessage, type PortCheckScope, portClashes } from '../plan/port-clash.js';
import type { Plan } from '../plan/types.js';
import type { Stack } from '../model/stack.js';

/**
 * Host ports of the containers the plan creates or starts. A fixed port counts once per replica (two replicas
 * on one port clash); host ranges are left to the engine, which takes a free port of the range.
 */
export function wantedPorts(stack: Stack, plan: Plan): HostPort[] {
  const out: HostPort[] = [];
  for (const a of plan.actions) {
    if (a.kind !== 'create' && a.kind !== 'recreate' && a.kind !== 'start') continue;
    out.push(...hostPortsOf(a.service, stack.services[a.service]?.ports ?? []));
  }
  return out;
}

/** Pure part: clashes inside the plan itself (two services, or two replicas, on one host port). */
export function clashesWithin(ports: HostPort[]): string[] {
  const msgs: string[] = [];
  for (let i = 0; i < ports.length; i++)
    for (let j = 0; j < i; j++) {
      const a = ports[i]!;
      const b = ports[j]!;
      if (a.port !== b.port || a.protocol !== b.protocol || !ipsOverlap(a.hostIp, b.hostIp)) continue;
      msgs.push(
        a.service === b.service
          ? `port ${a.hostIp}:${a.port} is published by more than one replica of service "${a.service}"; publish a range or drop the host port`
          : `port ${a.hostIp}:${a.port} is published by both "${b.service}" and "${a.service}"`,
      );
    }
  return [...new Set(msgs)];
}

/** The process listening on a TCP port, from /proc (Linux; best effort, may be hidden for other users). */
async function processListening(port: number): Promise<string | undefined> {
  try {
    const inodes = new Set<string>();
    for (const f of ['/proc/net/tcp', '/proc/net/tcp6']) {
      const text = await readFile(f, 'utf8').catch(() => '');
      for (const l of text.split('\n').slice(1)) {
        const cols = l.trim().split(/\s+/);
        if (cols.length < 10 || cols[3] !== '0A') continue; // 0A: LISTEN
        if (Number.parseInt(cols[1]!.split(':')[1]!, 16) === port) inodes.add(cols[9]!);
      }
    }
    if (!inodes.size) return undefined;
    for (const pid of await readdir('/proc')) {
      if (!/^\d+$/.test(pid)) continue;
      const fds = await readdir(`/proc/${pid}/fd`).catch(() => [] as string[]);
      for (const fd of fds) {
        const link = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
        const m = /^socket:\[(\d+)\]$/.exec(link);
        if (m && inodes.has(m[1]!)) {
          const cmd = (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => ''))
            .split('\0')
            .filter(Boolean);
          return `process ${pid} (${cmd.slice(0, 3).join(' ') || 'unknown'})`;
        }
      }
    }
  } catch {
    /* best effort */
  }
  return undefined;
}

/**
 * Every clash for the wanted host ports, as messages: held by a container (named with its berth project), or
 * by a process (found by binding the port; named from /proc when visible). One function for `up` and `use`.
 */
export async function hostPortClashes(
  engine: Engine,
  wanted: HostPort[],
  scope: PortCheckScope,
): Promise<string[]> {
  if (!wanted.length) return [];
  const running = await engine.listContainers({});
  const { clashes, probe } = portClashes(wanted, running, scope);
  const msgs = clashes.map(clashMessage);
  for (const w of probe) {
    const code = await probeSettled(w);
    if (code === 'EADDRINUSE') msgs.push(clashMessage({ wanted: w, other: await processListening(w.port) }));
    else if (code === 'EADDRNOTAVAIL')
      msgs.push(
        `port ${w.hostIp}:${w.port} (service "${w.service}"): host IP ${w.hostIp} is not an address of this machine`,
      );
  }
  return msgs;
}

/**
 * A port found in use is probed again for up to RELEASE_GRACE_MS before it counts as taken: an engine may free a
 * container's host port a moment after the stop returned (Podman's conmon does; seen in CI as `use globex`
 * finding the port acme's web had just released). Only a port in use waits; a free one answers at once.
 */
const RELEASE_GRACE_MS = 3000;
async function probeSettled(w: HostPort): Promise<Awaited<ReturnType<typeof probePort>>> {
  const deadline = Date.now() + RELEASE_GRACE_MS;
  for (;;) {
    const code = await probePort(w.hostIp, w.port, w.protocol);
    if (code !== 'EADDRINUSE' || Date.now() >= deadline) return code;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** dockerd's words, across versions, for a host port it could not bind when starting a container. */
export function isPortBindFailure(engineMessage: string): boolean {
  return /address already in use|port is already allocated/i.test(engineMessage);
}

/**
 * A start that failed because a host port was taken after the pre-check (a race with another process): the
 * pre-check's message for the service's ports, naming the holder when it is still there and visible. When the
 * holder is gone already, the port is named from the engine's words.
 */
export async function portRaceMessage(
  engine: Engine,
  stack: Stack,
  service: string,
  engineMessage: string,
): Promise<string> {
  const wanted = hostPortsOf(service, stack.services[service]?.ports ?? []);
  const scope = { project: stack.project, releasing: new Set<string>(), own: 'same-service' as const };
  const msgs = await hostPortClashes(engine, wanted, scope).catch(() => [] as string[]);
  if (msgs.length) return msgs.join('\n');
  // "listen tcp4 0.0.0.0:8080: bind: …", "Bind for 0.0.0.0:8080 failed: …", "… host port for 0.0.0.0:8080:…"
  const m = /(?:tcp[46]? |udp[46]? |Bind for |host port for )\[?([0-9a-fA-F.:]*?)\]?:(\d+)/.exec(
    engineMessage,
  );
  if (m) {
    const protocol = /udp/.test(m[0]) ? 'udp' : 'tcp';
    return clashMessage({ wanted: { service, hostIp: m[1] || '0.0.0.0', port: Number(m[2]), protocol } });
  }
  return `a host port of service "${service}" is taken by another process; free it or change the port (the engine said: ${engineMessage})`;
}

/**
 * Throws one error listing every port that cannot be published, before the executor creates anything. Ports
 * held by this project's own containers that the plan replaces or stops are fine: they are released first.
 */
export async function checkPorts(
  engine: Engine,
  stack: Stack,
  plan: Plan,
  /** Containers of other projects being stopped meanwhile (`use`): their ports are not clashes. */
  alsoReleasing: Iterable<string> = [],
): Promise<void> {
  const wanted = wantedPorts(stack, plan);
  if (!wanted.length) return;
  const releasing = new Set<string>(alsoReleasing);
  for (const a of plan.actions) {
    if (a.kind === 'recreate') releasing.add(a.old.id);
    if (a.kind === 'remove') releasing.add(a.container.id);
  }
  const msgs = [
    ...clashesWithin(wanted),
    ...(await hostPortClashes(engine, wanted, { project: stack.project, releasing, own: 'same-service' })),
  ];
  if (msgs.length)
    throw new BerthError(msgs.join('\n'), {
      exitCode: ExitCode.StackFailure,
      hint: 'nothing was created or changed',
    });
}

/**
 * Keys this engine's API cannot honour, and secrets/configs whose variable is unset, for the services that
 * will get new containers: refused before anything is created. The engine is asked its version only when
 * some service needs an answer.
 */
export async function checkEngineSupport(engine: Engine, stack: Stack, plan: Plan): Promise<void> {
  const services = [
    ...new Set(
      plan.actions.flatMap((a) => (a.kind === 'create' || a.kind === 'recreate' ? [a.service] : [])),
    ),
  ];
  const asks = services.some((s) => (stack.services[s]?.needsApi ?? []).length > 0);
  const api = asks ? await engine.engineApi().catch(() => undefined) : '999.0';
  const errors = createBlockers(stack, services, api);
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) throw new BerthErrors(errors);
}
