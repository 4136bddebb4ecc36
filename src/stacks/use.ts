// `berth use` without a name: every known client of the stack with the state of its containers. Pure; the
// switch itself is src/ops/switch.ts.
import { dirname } from 'node:path';
import type { Stack } from '../model/stack.js';

/** The directory whose `.berth/state.json` records the active client: the one of the stack's first file. */
export const stackDirOf = (stack: Stack) => dirname(stack.files[0] ?? `${stack.workingDir}/berth.yaml`);

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
