// Stop and remove in reverse dependency order: a service stops once every service that depends on it has
// stopped, so nothing loses a dependency while it still runs. Independent services go in parallel.
import type { Engine } from '../engine/port.js';
import type { ObservedContainer } from '../model/index.js';
import type { Graph } from '../graph/index.js';
import type { Stack } from '../model/stack.js';
import { engineMessage } from '../engine/errors.js';
import type { RunListener } from './events.js';
import { HookFailed, runExecHooks } from './hooks.js';

export interface StopOptions {
  concurrency?: number;
  onEvent?: RunListener;
  /** Remove the containers after stopping them (`down`, `rm -s`). */
  remove?: boolean;
  /** Remove anonymous volumes with the containers (`down -v`, `rm -v`). */
  volumes?: boolean;
  /** Seconds before the engine kills; default: each container's own stop_grace_period. */
  timeoutSec?: number;
}

/** Services that depend on each service, restricted to `present`. */
export function dependentsMap(graph: Graph | undefined, present: Set<string>): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const s of present) out.set(s, []);
  if (!graph) return out;
  for (const e of graph.edges) if (present.has(e.from) && present.has(e.to)) out.get(e.to)!.push(e.from);
  return out;
}

/**
 * Every service of `dependents`, each after all of its dependents (Kahn's algorithm). Services on a cycle (not
 * from a valid stack, but a hand-made one must not hang `down`) come last, in map order, the cycle cut there.
 */
export function dependentsFirst(dependents: Map<string, string[]>): string[] {
  const waiting = new Map<string, number>();
  const dependsOn = new Map<string, string[]>();
  for (const s of dependents.keys()) dependsOn.set(s, []);
  for (const [s, ds] of dependents) {
    waiting.set(s, new Set(ds).size);
    for (const d of new Set(ds)) dependsOn.get(d)?.push(s);
  }
  const ready = [...dependents.keys()].filter((s) => waiting.get(s) === 0);
  const out: string[] = [];
  while (ready.length) {
    const s = ready.pop()!;
    out.push(s);
    for (const dep of dependsOn.get(s) ?? []) {
      const left = waiting.get(dep)! - 1;
      waiting.set(dep, left);
      if (left === 0) ready.push(dep);
    }
  }
  if (out.length < dependents.size) {
    const seen = new Set(out);
    for (const s of dependents.keys()) if (!seen.has(s)) out.push(s);
  }
  return out;
}

export async function runStop(
  engine: Engine,
  stack: Stack | undefined,
  containers: ObservedContainer[],
  opts: StopOptions = {},
): Promise<{ errors: string[] }> {
  const { default: PQueue } = await import('p-queue');
  // Stopping is mostly waiting for processes to exit, so more can be in flight than for creates.
  const queue = new PQueue({ concurrency: opts.concurrency ?? 24 });
  const emit = opts.onEvent ?? (() => {});
  const errors: string[] = [];
  const byService = new Map<string, ObservedContainer[]>();
  for (const c of containers) byService.set(c.service, [...(byService.get(c.service) ?? []), c]);
  const graph = stack ? (await import('../graph/index.js')).buildGraph(stack) : undefined;
  const dependents = dependentsMap(graph, new Set(byService.keys()));
  const stopped = new Map<string, Promise<void>>();
  const removed: Promise<void>[] = [];
  const progress = (
    c: ObservedContainer,
    status: 'Stopping' | 'Stopped' | 'Removing' | 'Removed',
    done: boolean,
    t0?: number,
  ) =>
    emit({
      type: 'progress',
      kind: 'Container',
      name: c.name,
      service: c.service,
      status,
      done,
      elapsedMs: t0 === undefined ? undefined : Date.now() - t0,
    });
  const failed = (c: ObservedContainer, err: unknown) => {
    const output = err instanceof HookFailed && err.output.length ? `\n  ${err.output.join('\n  ')}` : '';
    const msg = `${c.name}: ${engineMessage(err)}${output}`;
    errors.push(msg);
    emit({
      type: 'progress',
      kind: 'Container',
      name: c.name,
      service: c.service,
      status: 'Error',
      done: true,
      detail: msg,
    });
  };

  // A service stops once its dependents have stopped; its removal follows its own stop and holds up no one.
  // The promises are made in an order where every dependent comes first (a loop, not a recursion: a
  // 5,000-deep depends_on chain must not overflow the stack).
  const stopService = async (name: string, after: Promise<void>[]): Promise<void> => {
    await Promise.all(after);
    await Promise.all(
      (byService.get(name) ?? []).map(async (c) => {
        const t0 = Date.now();
        let ok = true;
        if (c.state === 'running' || c.state === 'restarting' || c.state === 'paused') {
          await queue.add(
            async () => {
              progress(c, 'Stopping', false);
              try {
                // `pre_stop` hooks first, in the running container; a failing one keeps it running and
                // fails the verb with the hook's output, as Compose does
                const svc = stack?.services[c.service];
                if (svc?.pre_stop?.length && c.state === 'running')
                  await runExecHooks(engine, c.id, svc, 'pre_stop');
                await engine.stopContainer(c.id, opts.timeoutSec);
                progress(c, 'Stopped', !opts.remove, t0);
              } catch (err) {
                ok = false;
                failed(c, err);
              }
              // stops are the critical path (the next level waits for them); removals can trail
            },
            { priority: 1 },
          );
        }
        if (opts.remove && ok)
          removed.push(
            queue.add(async () => {
              progress(c, 'Removing', false);
              try {
                await engine.removeContainer(c.id, { volumes: opts.volumes, force: true });
                progress(c, 'Removed', true, t0);
              } catch (err) {
                failed(c, err);
              }
            }) as Promise<void>,
          );
      }),
    );
  };
  for (const name of dependentsFirst(dependents)) {
    const after = (dependents.get(name) ?? []).flatMap((d) => stopped.get(d) ?? []);
    stopped.set(name, stopService(name, after));
  }
  await Promise.all(stopped.values());
  await Promise.all(removed);
  return { errors };
}
