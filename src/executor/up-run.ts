// What every part of one `up` shares: the bounded queue of engine calls, the progress and failure stream,
// and the names containers are reported under (a recreate's successor has a temporary name until its rename).
import type PQueue from 'p-queue';
import type { Engine } from '../engine/port.js';
import type { Stack } from '../model/stack.js';
import type { Failure, ProgressStatus, ResourceKind, RunListener } from './events.js';
import { Interrupted } from './wait.js';

export interface UpRun {
  readonly engine: Engine;
  readonly stack: Stack;
  readonly signal?: AbortSignal;
  readonly emit: RunListener;
  readonly failures: Failure[];
  /** `up -t`: the grace period, in seconds, of the containers this run stops (recreated, scaled down). */
  readonly stopTimeoutSec?: number;
  /** A queued engine step; refused once interrupted, so nothing new starts after Ctrl-C. */
  step<T>(fn: () => Promise<T>, priority?: number): Promise<T>;
  progress(
    kind: ResourceKind,
    name: string,
    status: ProgressStatus,
    done: boolean,
    t0?: number,
    service?: string,
    detail?: string,
  ): void;
  /**
   * Records a failure and tells the listener, with the container's last log lines when there is one (or the
   * lines given: a failed hook's output).
   */
  fail(service: string, message: string, id?: string, container?: string, lines?: string[]): Promise<void>;
  /** The canonical name a container is reported under. */
  readonly names: Map<string, string>;
  containerNameOf(id: string): string;
}

export function upRun(
  engine: Engine,
  stack: Stack,
  queue: PQueue,
  signal: AbortSignal | undefined,
  emit: RunListener,
  stopTimeoutSec?: number,
): UpRun {
  const failures: Failure[] = [];
  const names = new Map<string, string>();
  return {
    engine,
    stack,
    signal,
    emit,
    failures,
    stopTimeoutSec,
    names,
    step: <T>(fn: () => Promise<T>, priority = 0): Promise<T> =>
      queue.add(
        async () => {
          if (signal?.aborted) throw new Interrupted();
          return fn();
        },
        { priority },
      ) as Promise<T>,
    progress: (kind, name, status, done, t0, service, detail) =>
      emit({
        type: 'progress',
        kind,
        name,
        service,
        status,
        done,
        elapsedMs: t0 === undefined ? undefined : Date.now() - t0,
        detail,
      }),
    fail: async (service, message, id, container, lines) => {
      const logs = lines ?? (id ? await engine.tailLogs(id, 10) : []);
      const f: Failure = { service, container, message, logs };
      failures.push(f);
      emit({ type: 'failure', ...f });
    },
    containerNameOf: (id) => names.get(id) ?? id.slice(0, 12),
  };
}
