import type { LogLine } from '../logs/types.js';

/**
 * The UI's log memory: a ring of the latest lines (all services together), so 60 services logging fast
 * cost a fixed amount of memory. Lines get a sequence number; a paused view remembers the number it
 * stopped at.
 */
export class LogBuffer {
  private readonly ring: Array<LogLine | undefined>;
  private next = 0;

  constructor(readonly capacity = 5000) {
    this.ring = new Array(capacity);
  }

  /** Sequence number the next line will get (= lines ever pushed). */
  get seq(): number {
    return this.next;
  }

  push(lines: LogLine[]): void {
    for (const l of lines) {
      this.ring[this.next % this.capacity] = l;
      this.next++;
    }
  }

  /**
   * The last `count` lines matching the filter, oldest first, seen as of sequence `upTo` (exclusive; default
   * now). Walks back from the end, so it costs about `count` steps when most lines match.
   */
  view(count: number, filter: { service?: string; search?: string } = {}, upTo = this.next): LogLine[] {
    const out: LogLine[] = [];
    const needle = filter.search?.toLowerCase();
    const oldest = Math.max(0, this.next - this.capacity);
    for (let i = Math.min(upTo, this.next) - 1; i >= oldest && out.length < count; i--) {
      const l = this.ring[i % this.capacity]!;
      if (filter.service && l.service !== filter.service) continue;
      if (needle && !l.text.toLowerCase().includes(needle)) continue;
      out.push(l);
    }
    return out.reverse();
  }
}
