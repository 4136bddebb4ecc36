// Debouncing the watcher's events into batches: an editor's save is often several events (write, rename,
// chmod) and a `git checkout` hundreds, and each batch costs a tar and an engine call (or a whole rebuild).
// A batch is sent once no event came for `quietMs`, or `maxWaitMs` after its first event however busy the
// folder stays, so a steady stream of writes still syncs. Compose waits for a quiet period too; berth's is
// shorter (150 ms by default) so an edit is in the container well within a second. The clock is injected, so
// the unit tests drive time by hand.

export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

export interface BatchOptions {
  quietMs?: number;
  maxWaitMs?: number;
  clock?: Clock;
}

export class Batcher {
  private pending = new Set<string>();
  private first = 0;
  private timer: unknown;
  private closed = false;
  private readonly quietMs: number;
  private readonly maxWaitMs: number;
  private readonly clock: Clock;

  constructor(
    private readonly onBatch: (paths: string[]) => void,
    opts: BatchOptions = {},
  ) {
    this.quietMs = opts.quietMs ?? 150;
    this.maxWaitMs = opts.maxWaitMs ?? 1000;
    this.clock = opts.clock ?? realClock;
  }

  /** One changed path (duplicates within a batch count once). */
  add(p: string): void {
    if (this.closed) return;
    const now = this.clock.now();
    if (this.pending.size === 0) this.first = now;
    this.pending.add(p);
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    const due = Math.min(now + this.quietMs, this.first + this.maxWaitMs);
    this.timer = this.clock.setTimeout(() => this.flush(), Math.max(0, due - now));
  }

  /** Send what is pending now. */
  flush(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.size === 0) return;
    const batch = [...this.pending];
    this.pending.clear();
    this.onBatch(batch);
  }

  /** Drop what is pending and accept nothing more. */
  close(): void {
    this.closed = true;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.pending.clear();
  }
}
