// Waiting for a service's containers to meet a condition (a dependency's `depends_on` condition, or `--wait`),
// and saying in one line why one did not.
import type { DependencyCondition } from '../model/stack.js';
import type { Deferred } from './deferred.js';
import type { ProgressStatus } from './events.js';
import type { StartProbeFor } from './start-probes.js';
import type { UpRun } from './up-run.js';
import {
  type ContainerWaiter,
  completedSuccessfully,
  healthy,
  type Verdict,
  WaitFailed,
  WaitTimedOut,
} from './wait.js';

/** One service in this `up`: settles once its containers are started (or it failed or was skipped). */
export interface ServiceRun {
  started: Deferred<void>;
  ids: string[];
  conditions: Map<DependencyCondition, Promise<void>>;
}

export type ContainerCheck = (s: Parameters<typeof healthy>[0]) => Verdict;

/** What a wait was for: a dependency condition, or `ready` for `--wait`. */
export type WaitPurpose = DependencyCondition | 'ready';

export class ConditionWaits {
  /** The last status reported per container. */
  private readonly reached = new Map<string, ProgressStatus>();

  constructor(
    private readonly run: UpRun,
    private readonly waiter: ContainerWaiter,
    private readonly probeFor: StartProbeFor,
    private readonly runs: Map<string, ServiceRun>,
  ) {}

  /** Memoized per service and condition: the first waiter reports a failure, the rest share its outcome. */
  condition(dep: string, cond: DependencyCondition): Promise<void> {
    const run = this.runs.get(dep)!;
    let p = run.conditions.get(cond);
    if (p) return p;
    p = (async () => {
      await run.started.promise;
      if (cond === 'service_started') return;
      const check = cond === 'service_healthy' ? healthy : completedSuccessfully;
      await Promise.all(run.ids.map((id) => this.waitFor(dep, id, check, cond)));
    })();
    p.catch(() => {});
    run.conditions.set(cond, p);
    return p;
  }

  async waitFor(
    service: string,
    id: string,
    check: ContainerCheck,
    what: WaitPurpose,
    timeoutMs?: number,
  ): Promise<void> {
    const { run, reached } = this;
    const t0 = Date.now();
    const cname = run.containerNameOf(id);
    if (!reached.has(id)) run.progress('Container', cname, 'Waiting', false, undefined, service);
    try {
      const s = await this.waiter.until(id, check, timeoutMs, this.probeFor(service));
      const status: ProgressStatus = s?.running ? (s.health === 'healthy' ? 'Healthy' : 'Running') : 'Exited';
      // `--wait` re-checks what a dependency wait already reported: say it once
      if (reached.get(id) !== status) run.progress('Container', cname, status, true, t0, service);
      reached.set(id, status);
    } catch (err) {
      if (err instanceof WaitFailed || err instanceof WaitTimedOut) {
        const message = waitFailureMessage(service, cname, what, err);
        run.progress('Container', cname, 'Error', true, t0, service, message);
        await run.fail(service, message, id, cname);
      }
      throw err;
    }
  }
}

export function waitFailureMessage(
  service: string,
  cname: string,
  what: WaitPurpose,
  err: WaitFailed | WaitTimedOut,
): string {
  const s = err.state;
  if (err instanceof WaitTimedOut)
    return `service "${service}" (${cname}) did not become ${what === 'service_healthy' || what === 'ready' ? (s?.hasHealthcheck ? 'healthy' : 'ready') : 'done'} in time (${s?.health ?? s?.status ?? 'gone'})`;
  if (!s) return `service "${service}": container ${cname} disappeared`;
  if (s.health === 'unhealthy') return `service "${service}" is unhealthy (${cname})`;
  if (what === 'service_healthy' && !s.hasHealthcheck)
    return `service "${service}" has no healthcheck, but a dependency waits for it to be healthy`;
  if (!s.running) return `service "${service}" exited with code ${s.exitCode} (${cname})`;
  return `service "${service}" failed its condition ${what} (${cname})`;
}

/** A failure that a wait has already reported. */
export function isReported(err: unknown): boolean {
  return err instanceof WaitFailed || err instanceof WaitTimedOut;
}
