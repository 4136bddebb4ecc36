/**
 * Merges per-container line sequences into one, ordered by timestamp, for `berth logs` without `-f`: every
 * service's lines in the order they were written. A line is released only once every source still open has
 * a line queued (or has ended), so the order is right without reading whole logs into memory; the caller
 * pauses a source whose queue is long (`queued`). Ties keep source order, and one source's lines never
 * overtake each other.
 */
export class OrderedMerge<T extends { ts: string }> {
  private readonly queues = new Map<string, { lines: T[]; head: number; ended: boolean }>();

  add(source: string): void {
    if (!this.queues.has(source)) this.queues.set(source, { lines: [], head: 0, ended: false });
  }

  push(source: string, lines: T[]): void {
    const q = this.queues.get(source);
    if (!q) throw new Error(`unknown source ${source}`);
    for (const l of lines) q.lines.push(l);
  }

  end(source: string): void {
    const q = this.queues.get(source);
    if (q) q.ended = true;
  }

  queued(source: string): number {
    const q = this.queues.get(source);
    return q ? q.lines.length - q.head : 0;
  }

  /** Sources with nothing queued that have not ended: the merge waits for them. */
  waitingFor(): string[] {
    return [...this.queues].filter(([, q]) => !q.ended && q.head === q.lines.length).map(([s]) => s);
  }

  get done(): boolean {
    for (const q of this.queues.values()) if (!q.ended || q.head < q.lines.length) return false;
    return true;
  }

  /** Every line that can be released now, in order. */
  take(): T[] {
    const out: T[] = [];
    const qs = [...this.queues.values()];
    for (;;) {
      let best: (typeof qs)[number] | undefined;
      for (const q of qs) {
        if (q.head === q.lines.length) {
          if (!q.ended) return this.compact(out, qs);
          continue;
        }
        if (!best || q.lines[q.head]!.ts < best.lines[best.head]!.ts) best = q;
      }
      if (!best) return this.compact(out, qs);
      out.push(best.lines[best.head++]!);
    }
  }

  private compact(out: T[], qs: Array<{ lines: T[]; head: number }>): T[] {
    for (const q of qs) {
      if (q.head > 1024 && q.head * 2 > q.lines.length) {
        q.lines = q.lines.slice(q.head);
        q.head = 0;
      }
    }
    return out;
  }
}
