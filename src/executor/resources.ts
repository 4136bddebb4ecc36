// Networks and volumes come first: every container create needs them.
import type { Plan } from '../plan/types.js';
import type { ResourceKind } from './events.js';
import type { UpRun } from './up-run.js';

export async function createResources(run: UpRun, plan: Plan): Promise<void> {
  const { engine, stack } = run;
  // Settle every step before failing, so no create is still in flight when `up` returns (Ctrl-C, errors).
  const settled = await Promise.allSettled(
    plan.actions.map((a) => {
      if (a.kind !== 'create-network' && a.kind !== 'create-volume') return undefined;
      const kind: ResourceKind = a.kind === 'create-network' ? 'Network' : 'Volume';
      return run.step(async () => {
        const t0 = Date.now();
        run.progress(kind, a.name, 'Creating', false);
        if (a.kind === 'create-network') await engine.createNetwork({ stack, key: a.key });
        else await engine.createVolume({ stack, key: a.key });
        run.progress(kind, a.name, 'Created', true, t0);
      }, 2);
    }),
  );
  const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}
