// `berth use NAME`, the engine part: check that the switch can succeed, stop the stack's other clients (kept,
// so switching back is a start), then let the caller bring NAME up through the ordinary `up` path.
import { dirname } from 'node:path';
import type Docker from 'dockerode';
import type { ObservedContainer } from '../engine/observe.js';
import { BerthError, ExitCode } from '../errors.js';
import { stackHostPorts } from '../plan/host-ports.js';
import type { RunListener } from '../executor/events.js';
import type { Stack } from '../compose/types.js';
import { writeActiveClient } from './state.js';
import {
  byProject,
  holderMessage,
  otherClientsRunning,
  portsFreedByStopping,
  portsHeldByOthers,
  splitStops,
} from './switch.js';

/** The directory whose `.berth/state.json` records the active client: the one of the stack's first file. */
export const stackDirOf = (stack: Stack) => dirname(stack.files[0] ?? `${stack.workingDir}/berth.yaml`);

export interface SwitchPlan {
  /** Running containers of the stack's other clients, to stop. */
  stopping: ObservedContainer[];
  /** Those holding a host port this client publishes (and their dependents): stopped before it starts. */
  first: ObservedContainer[];
  /** The rest: stopped while this client comes up. */
  later: ObservedContainer[];
}

/**
 * Everything that can be known before touching anything: which containers will be stopped, and that no
 * project staying up (another stack) or other process holds a host port this client publishes.
 */
export async function planSwitch(docker: Docker, stack: Stack): Promise<SwitchPlan> {
  const [{ listAllBerthContainers }, { probePort }] = await Promise.all([
    import('../engine/observe.js'),
    import('../engine/ports.js'),
  ]);
  const running = await listAllBerthContainers(docker);
  const stopping = otherClientsRunning(running, stack);
  const wanted = stackHostPorts(stack);
  const held = portsHeldByOthers(wanted, running, {
    project: stack.project,
    stopping: new Set(stopping.map((c) => c.id)),
  });
  const msgs = held.map((h) => holderMessage(h, stack.client ?? 'NAME'));
  const freed = portsFreedByStopping(stopping);
  const own = new Set<string>();
  for (const c of running)
    if (c.project === stack.project) for (const p of c.ports) own.add(`${p.protocol}/${p.hostPort}`);
  const heldPorts = new Set(held.map((h) => `${h.wanted.protocol}/${h.wanted.port}`));
  for (const w of wanted) {
    const key = `${w.protocol}/${w.port}`;
    if (freed.has(key) || own.has(key) || heldPorts.has(key)) continue;
    const code = await probePort(w.hostIp, w.port, w.protocol);
    if (code === 'EADDRINUSE')
      msgs.push(
        `port ${w.hostIp}:${w.port} (service "${w.service}") is taken by a process outside berth; free it or change the port`,
      );
  }
  if (msgs.length > 0)
    throw new BerthError(msgs.join('\n'), {
      exitCode: ExitCode.StackFailure,
      hint: `nothing was stopped or started; ${stack.client ?? 'the stack'} is not active`,
    });
  return { stopping, ...splitStops(stopping, wanted, stack) };
}

/** Stop (never remove) the other clients, each in reverse dependency order, all projects at once. */
export async function stopOtherClients(
  docker: Docker,
  stack: Stack,
  stopping: ObservedContainer[],
  onEvent?: RunListener,
): Promise<string[]> {
  const { runStop } = await import('../executor/stop.js');
  // The other clients share this stack's base file, so its dependency order is theirs too.
  const results = await Promise.all(
    [...byProject(stopping).values()].map((cs) => runStop(docker, stack, cs, { onEvent })),
  );
  return results.flatMap((r) => r.errors);
}

/** Switch the recorded active client. Done before the engine work: `use` records the choice even if up fails. */
export const recordActive = (stack: Stack, client: string) => writeActiveClient(stackDirOf(stack), client);

export interface ClientOverview {
  name: string;
  project: string;
  state: 'running' | 'partial' | 'stopped' | 'none';
  running: number;
  total: number;
  active: boolean;
}

/** `berth use` without a name: every known client with the state of its containers. */
export function clientOverview(
  clients: string[],
  stack: Pick<Stack, 'name'>,
  project: (client: string) => string,
  active: string | undefined,
  containers: Array<{ project: string; state: string; oneoff: boolean; stack?: string }>,
): ClientOverview[] {
  const names = [...new Set([...clients, ...(active ? [active] : [])])].sort();
  return names.map((name) => {
    const p = project(name);
    const mine = containers.filter((c) => c.project === p && !c.oneoff && c.stack === stack.name);
    const running = mine.filter((c) => c.state === 'running').length;
    const state =
      mine.length === 0
        ? 'none'
        : running === 0
          ? 'stopped'
          : running === mine.length
            ? 'running'
            : 'partial';
    return { name, project: p, state, running, total: mine.length, active: name === active };
  });
}

export function formatClientOverview(stackName: string, rows: ClientOverview[]): string {
  const active = rows.find((r) => r.active);
  const lines = [
    active
      ? `active client of ${stackName}: ${active.name}`
      : `no active client for ${stackName}: plain commands use the stack without a client`,
  ];
  if (rows.length === 0) {
    lines.push('no clients defined: add clients/NAME.yaml or clients/NAME.env next to the stack file');
    return lines.join('\n');
  }
  const width = Math.max(...rows.map((r) => r.name.length));
  const stateWidth = Math.max(...rows.map((r) => stateOf(r).length));
  for (const r of rows)
    lines.push(
      `${r.active ? '*' : ' '} ${r.name.padEnd(width)}   ${stateOf(r).padEnd(stateWidth)}   ${r.project}`,
    );
  return lines.join('\n');
}

const stateOf = (r: ClientOverview) => (r.state === 'none' ? '-' : `${r.state} ${r.running}/${r.total}`);
