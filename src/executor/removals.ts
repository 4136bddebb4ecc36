// Leftovers, scale-down and orphans go away alongside everything else: nothing depends on them.
import { HookFailed, runExecHooks } from './hooks.js';
import type { Action, Plan } from '../plan/types.js';
import { engineMessage } from '../engine/errors.js';
import type { UpRun } from './up-run.js';
import { Interrupted } from './wait.js';

type RemoveAction = Extract<Action, { kind: 'remove' }>;

export interface Removals {
  /** Every removal; each settles on its own and reports its own failure. */
  all: Promise<void>[];
  /** A leftover of an interrupted recreate may hold the temporary name this run's recreate will use. */
  leftoversOf(service: string): Promise<unknown>;
}

export function startRemovals(run: UpRun, plan: Plan): Removals {
  const { engine } = run;
  const actions = plan.actions.filter((a): a is RemoveAction => a.kind === 'remove');
  const all = actions.map((a) =>
    run
      .step(async () => {
        const t0 = Date.now();
        run.progress('Container', a.name, 'Removing', false, undefined, a.service);
        // A leftover temporary container never served anything: no need for a graceful stop.
        if (a.reason !== 'leftover' && a.container.state === 'running') {
          const svc = run.stack.services[a.service];
          if (svc?.pre_stop?.length) await runExecHooks(engine, a.container.id, svc, 'pre_stop');
          await engine.stopContainer(a.container.id, run.stopTimeoutSec);
        }
        await engine.removeContainer(a.container.id, { force: true });
        run.progress('Container', a.name, 'Removed', true, t0, a.service, a.reason);
      })
      .catch(async (err) => {
        if (err instanceof Interrupted) return;
        run.progress('Container', a.name, 'Error', true, undefined, a.service, engineMessage(err));
        await run.fail(
          a.service,
          `could not remove ${a.name} (${a.reason}): ${engineMessage(err)}`,
          undefined,
          undefined,
          err instanceof HookFailed ? err.output : undefined,
        );
      }),
  );
  const leftoversOf = (service: string) =>
    Promise.allSettled(
      all.filter((_, i) => actions[i]!.service === service && actions[i]!.reason === 'leftover'),
    );
  return { all, leftoversOf };
}
