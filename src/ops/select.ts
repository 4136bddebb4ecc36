// Which services and containers a verb acts on. One place for the rules every verb shares.
import type { Stack } from '../model/stack.js';
import { badInput } from '../errors.js';
import { buildGraph, selectWithDeps } from '../graph/index.js';
import type { ObservedContainer } from '../model/index.js';

/** Check service names against the stack; with `withDeps`, add their dependencies (transitively). */
export function selectServices(stack: Stack, names: string[], withDeps: boolean): string[] | undefined {
  if (!names.length) return undefined;
  for (const n of names) {
    if (stack.services[n]) continue;
    if (stack.disabledServices.includes(n))
      throw badInput(`service "${n}" is disabled by its profiles`, { hint: 'enable it with --profile' });
    throw badInput(`no such service: ${n}`, { hint: `services: ${Object.keys(stack.services).join(', ')}` });
  }
  if (!withDeps) return names;
  return selectWithDeps(buildGraph(stack), names);
}

/** A project's service containers (never one-offs), of the selected services when there is a selection. */
export const serviceContainers = (containers: ObservedContainer[], selected?: readonly string[]) =>
  containers.filter((c) => !c.oneoff && (!selected || selected.includes(c.service)));

export const isUp = (c: ObservedContainer) =>
  c.state === 'running' || c.state === 'restarting' || c.state === 'paused';

/** A verb's target: a stack file, or a project name alone (`-p NAME`, labels only), as Compose allows. */
export interface Target {
  stack?: Stack;
  project: string;
}
