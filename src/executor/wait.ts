// Waiting for containers to reach a state (healthy, exited, running) without hammering the engine: one event
// stream per run wakes the waiters, and each wake-up costs one inspect of that container. A slow fallback poll
// covers an event the stream might miss.
import type { Engine, EventWatch } from '../engine/port.js';
import { type InspectedContainer, projectSelector } from '../model/index.js';

/** What a wait looks at: the container as an inspect shows it (undefined once it is gone). */
export type LiveState = InspectedContainer;

export type Verdict = 'ok' | 'fail' | 'wait';

const FALLBACK_POLL_MS = 500;

/**
 * Run the container's healthcheck ourselves while it is still `starting`, every `everyMs`: the engine's
 * `start_interval` for engines that ignore it (see start-probes.ts). A passing probe counts as healthy.
 */
export interface StartProbe {
  cmd: string[];
  everyMs: number;
  timeoutMs: number;
}

export class Interrupted extends Error {
  constructor() {
    super('interrupted');
  }
}

export class ContainerWaiter {
  private watch?: Promise<EventWatch | undefined>;
  private readonly wakers = new Map<string, Set<() => void>>();

  constructor(
    private readonly engine: Engine,
    private readonly project: string,
    private readonly signal?: AbortSignal,
  ) {}

  private ensureWatch(): Promise<EventWatch | undefined> {
    this.watch ??= this.engine
      .watchContainerEvents({ labels: [projectSelector(this.project)] }, (e) => {
        const set = this.wakers.get(e.id);
        if (set) for (const wake of [...set]) wake();
      })
      .catch(() => undefined);
    return this.watch;
  }

  /** Resolve with the container's state once `check` says ok; reject with the state when it says fail. */
  async until(
    id: string,
    check: (s: LiveState | undefined) => Verdict,
    timeoutMs = Number.POSITIVE_INFINITY,
    probe?: StartProbe,
  ): Promise<LiveState | undefined> {
    await this.ensureWatch();
    const deadline = Date.now() + timeoutMs;
    let nextProbe = 0;
    for (;;) {
      if (this.signal?.aborted) throw new Interrupted();
      const s = await this.engine.inspectContainer(id);
      const v = check(s);
      if (v === 'ok') return s;
      if (v === 'fail') throw new WaitFailed(s);
      if (probe && s?.health === 'starting' && Date.now() >= nextProbe) {
        nextProbe = Date.now() + probe.everyMs;
        if (await this.engine.check(id, probe.cmd, probe.timeoutMs)) {
          const healthy: LiveState = { ...s, health: 'healthy' };
          if (check(healthy) === 'ok') return healthy;
        }
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new WaitTimedOut(s);
      const pause =
        probe && s?.health === 'starting' ? Math.max(0, nextProbe - Date.now()) : FALLBACK_POLL_MS;
      await this.nextEvent(id, Math.min(left, FALLBACK_POLL_MS, pause));
    }
  }

  private nextEvent(id: string, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const set = this.wakers.get(id) ?? new Set<() => void>();
      this.wakers.set(id, set);
      const done = () => {
        clearTimeout(timer);
        set.delete(done);
        this.signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      set.add(done);
      this.signal?.addEventListener('abort', done, { once: true });
    });
  }

  async close(): Promise<void> {
    const w = await this.watch;
    w?.close();
  }
}

export class WaitFailed extends Error {
  constructor(readonly state: LiveState | undefined) {
    super('condition failed');
  }
}

export class WaitTimedOut extends Error {
  constructor(readonly state: LiveState | undefined) {
    super('timed out');
  }
}

export const healthy = (s: LiveState | undefined): Verdict => {
  if (!s) return 'fail';
  if (s.health === 'healthy') return 'ok';
  if (s.health === 'unhealthy') return 'fail';
  if (!s.running && !s.restarting) return 'fail';
  // nothing will ever report it healthy: fail now, as Compose does ("has no healthcheck configured")
  if (!s.hasHealthcheck) return 'fail';
  return 'wait';
};

export const completedSuccessfully = (s: LiveState | undefined): Verdict => {
  if (!s) return 'fail';
  if (s.running || s.restarting || s.status === 'created') return 'wait';
  return s.exitCode === 0 ? 'ok' : 'fail';
};

/** For `--wait`: healthy when it has a healthcheck, else running (or finished with exit 0: a one-shot job). */
export const ready = (s: LiveState | undefined): Verdict => {
  if (!s) return 'fail';
  if (s.hasHealthcheck) return healthy(s);
  if (s.running) return 'ok';
  if (s.restarting || s.status === 'created') return 'wait';
  return s.exitCode === 0 ? 'ok' : 'fail';
};
