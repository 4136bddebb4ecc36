// Runs the real planner and executor against the fake engine, the way `berth up` and `berth stop` do, and says
// in plain lines how the fake's state differs from the stack: the executor tests assert on that, not on calls.
import { afterEach } from 'vitest';
import { listProjectContainers, observe } from '../../src/engine/observe.js';
import type { RunEvent } from '../../src/executor/events.js';
import { runStop, type StopOptions } from '../../src/executor/stop.js';
import { runUp, type UpOptions, type UpResult } from '../../src/executor/up.js';
import { type ContainerEvent, containerName, resourceName } from '../../src/model/index.js';
import type { Dependency, Service, Stack } from '../../src/model/stack.js';
import { type PlanOptions, planUp, serviceHash } from '../../src/plan/plan.js';
import type { Plan } from '../../src/plan/types.js';
import { service } from '../unit/stack-factory.js';
import { FakeEngine, type FakeEngineOptions } from './fake-engine.js';

/** Fresh fakes for a test file, each closed (its clock stopped) after the test that made it. */
export function fakeEngines(): (opts?: FakeEngineOptions) => FakeEngine {
  const fakes: FakeEngine[] = [];
  afterEach(() => {
    for (const f of fakes.splice(0)) f.close();
  });
  return (opts) => {
    const f = new FakeEngine(opts);
    fakes.push(f);
    return f;
  };
}

/** A `depends_on` entry: required, no restart, unless `over` says otherwise. */
export const on = (condition: Dependency['condition'], over: Partial<Dependency> = {}): Dependency => ({
  condition,
  required: true,
  restart: false,
  ...over,
});

/** A service with its dependencies and any other fields. */
export const svc = (name: string, deps: Record<string, Dependency> = {}, over: Partial<Service> = {}) =>
  service(name, { depends_on: deps, ...over });

export const IMAGE_ID = `sha256:${'1'.repeat(64)}`;

export const imageIds = (s: Stack) => Object.fromEntries(Object.keys(s.services).map((n) => [n, IMAGE_ID]));

export interface UpRun {
  plan: Plan;
  result: UpResult;
  events: RunEvent[];
}

/** Observe, plan and run `up` once. */
export async function up(
  fake: FakeEngine,
  stack: Stack,
  opts: UpOptions & { planOptions?: Partial<PlanOptions> } = {},
): Promise<UpRun> {
  const { planOptions, ...upOptions } = opts;
  const plan = planUp(stack, await observe(fake, stack.project), {
    imageIds: imageIds(stack),
    ...planOptions,
  });
  const events: RunEvent[] = [];
  const result = await runUp(fake, stack, plan, {
    ...upOptions,
    onEvent: (e) => {
      events.push(e);
      upOptions.onEvent?.(e);
    },
  });
  return { plan, result, events };
}

/** `berth stop` / `down`: the project's containers, stopped (and removed) in reverse dependency order. */
export async function stop(fake: FakeEngine, stack: Stack, opts: StopOptions = {}) {
  const containers = await listProjectContainers(fake, stack.project);
  const events: RunEvent[] = [];
  const result = await runStop(fake, stack, containers, { ...opts, onEvent: (e) => events.push(e) });
  return { ...result, events };
}

/**
 * Every way the fake's state differs from the stack being up: a missing, extra, stopped or outdated container,
 * a missing network or volume. [] when converged.
 */
export function problems(fake: FakeEngine, stack: Stack): string[] {
  const out: string[] = [];
  const containers = fake.list().filter((c) => c.project === stack.project);
  const wanted = new Set<string>();
  for (const svc of Object.values(stack.services)) {
    const hash = serviceHash(stack, svc, IMAGE_ID);
    for (let r = 1; r <= svc.replicas; r++) {
      const name = containerName(stack.project, svc.name, r, svc.container_name);
      wanted.add(name);
      const c = containers.find((x) => x.name === name);
      if (!c) out.push(`${name}: missing`);
      else if (c.state !== 'running') out.push(`${name}: ${c.state}`);
      else if (c.hash !== hash) out.push(`${name}: outdated`);
    }
  }
  for (const c of containers) if (!wanted.has(c.name)) out.push(`${c.name}: extra (${c.state})`);
  const { networks, volumes } = fake.snapshot();
  for (const svc of Object.values(stack.services))
    for (const key of Object.keys(svc.networks)) {
      const name = resourceName(stack.project, key, stack.networks[key]?.name);
      if (!networks.some((n) => n.name === name)) out.push(`network ${name}: missing`);
    }
  for (const [key, v] of Object.entries(stack.volumes))
    if (!volumes.some((x) => x.name === resourceName(stack.project, key, v.name)))
      out.push(`volume ${v.name}: missing`);
  return [...new Set(out)].sort();
}

/** Position of the first event for container `name` with `action` (-1 when there is none). */
export function eventIndex(events: ContainerEvent[], name: string, action: string): number {
  return events.findIndex((e) => e.name === name && e.action === action);
}

/** The container events of one container ID, as `action` strings (`rename→new-name` for renames). */
export function historyOf(events: ContainerEvent[], id: string): string[] {
  return events
    .filter((e) => e.id === id)
    .map((e) => (e.action === 'rename' ? `rename→${e.name}` : e.action));
}

export const failuresOf = (events: RunEvent[]) =>
  events.flatMap((e) =>
    e.type === 'failure' ? [{ service: e.service, message: e.message, logs: e.logs }] : [],
  );

export const skippedOf = (events: RunEvent[]) =>
  events.flatMap((e) => (e.type === 'skipped' ? [{ service: e.service, reason: e.reason }] : []));

export const warningsOf = (events: RunEvent[]) =>
  events.flatMap((e) => (e.type === 'warning' ? [e.message] : []));
