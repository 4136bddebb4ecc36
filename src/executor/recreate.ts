// Replacing a container without a window where neither runs under the service's name: the successor is
// created under a temporary name, and takes the canonical name only once the old one is gone. If the run is
// cut short before that, the successor is removed and the old container keeps serving; the next `up` retries.
import type { Action } from '../plan/types.js';
import type { UpRun } from './up-run.js';
import { runExecHooks } from './hooks.js';
import { Interrupted } from './wait.js';

type RecreateAction = Extract<Action, { kind: 'recreate' }>;

/** Name under which a recreate's new container waits until the old one is gone; the planner cleans it up by name. */
export { temporaryName } from '../model/index.js';

/** Successors still under their temporary name: the ones to roll back at the end of the run. */
export class PendingSuccessors {
  private readonly ids = new Set<string>();

  add(id: string): void {
    this.ids.add(id);
  }

  tookOver(id: string): void {
    this.ids.delete(id);
  }

  async rollBack(run: UpRun): Promise<void> {
    await Promise.allSettled([...this.ids].map((id) => run.engine.removeContainer(id, { force: true })));
  }
}

/**
 * Swap the old container for its successor once the service's dependencies are ready; resolves with the
 * successor's ID, renamed but not yet started.
 */
export async function replaceContainer(
  run: UpRun,
  a: RecreateAction,
  successor: Promise<string>,
  pending: PendingSuccessors,
  t0: number,
): Promise<string> {
  const { engine } = run;
  // The old container stops while its successor is still being created, so the gap is
  // max(create, stop) + remove + rename + start.
  // The old container's `pre_stop` hooks run before it stops; one that fails keeps it serving (as Compose).
  const old = run.stack.services[a.service];
  // (without hooks the stop is the step's only call, so an interrupt between steps stops nothing more)
  const stopping = run.step(
    () =>
      old?.pre_stop?.length && a.old.state === 'running'
        ? runExecHooks(engine, a.old.id, old, 'pre_stop').then(() =>
            engine.stopContainer(a.old.id, run.stopTimeoutSec),
          )
        : engine.stopContainer(a.old.id, run.stopTimeoutSec),
    1,
  );
  stopping.catch(() => {}); // awaited below, once the successor exists
  let id: string;
  try {
    id = await successor;
  } catch (err) {
    // no successor: bring the old container back rather than leave the service down
    await stopping.then(() => engine.startContainer(a.old.id)).catch(() => {});
    throw err;
  }
  await stopping;
  // Not interruptible: once the old container is gone, the new one takes its name.
  try {
    await run.step(async () => {
      await engine.removeContainer(a.old.id, { force: true });
      await engine.renameContainer(id, a.name);
      pending.tookOver(id);
    }, 1);
  } catch (err) {
    // cut short between the stop and the swap: the old container serves again; its successor is rolled back
    if (err instanceof Interrupted) await engine.startContainer(a.old.id).catch(() => {});
    throw err;
  }
  run.progress('Container', a.name, 'Recreated', true, t0, a.service, a.reason);
  return id;
}
