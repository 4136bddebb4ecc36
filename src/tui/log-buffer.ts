import type { LogLine } from '../logs/types.js';

interface Entry {
  line: LogLine;
  /** Arrival number: what a pause freezes on. */
  seq: number;
}

/**
 * The UI's log memory: the latest `capacity` lines (all services together), so 60 services logging fast cost
 * a fixed amount of memory.
 *
 * Lines are kept in the engine's time order, not arrival order: the feed reads each container's history
 * (`--tail`) one container after the other, and a pane in arrival order would show the last container's
 * history filling it. A line that arrives late takes its place by timestamp, with two rules from the merge
 * of `berth logs` (src/logs/merge.ts): a container's own lines never overtake each other (the engine stamps
 * stdout and stderr apart, so one stream's timestamps are not monotonic), and a line without a timestamp
 * stays where it arrived. Live lines arrive in order, so keeping the order costs a step per line.
 *
 * Lines also get an arrival number; a paused view shows only lines that had arrived when it paused.
 */
export class LogBuffer {
  /** Sorted as above; only the last `capacity` count, older ones are dropped a batch at a time. */
  private entries: Entry[] = [];
  private next = 0;

  constructor(readonly capacity = 5000) {}

  /** Sequence number the next line will get (= lines ever pushed). */
  get seq(): number {
    return this.next;
  }

  push(lines: LogLine[]): void {
    const entries = this.entries;
    for (const line of lines) {
      const entry = { line, seq: this.next++ };
      let at = entries.length;
      if (line.ts) {
        const floor = Math.max(0, entries.length - this.capacity);
        while (at > floor) {
          const before = entries[at - 1]!.line;
          if (!before.ts || before.ts <= line.ts || before.container === line.container) break;
          at--;
        }
      }
      if (at === entries.length) entries.push(entry);
      else entries.splice(at, 0, entry);
    }
    // Drop the oldest in batches, so a flood of single lines does not shift the array once per line.
    if (entries.length > this.capacity + Math.max(64, this.capacity >> 2))
      entries.splice(0, entries.length - this.capacity);
  }

  /**
   * The last `count` lines matching the filter, oldest first, among those that had arrived before sequence
   * `upTo` (default: all). Walks back from the end, so it costs about `count` steps when most lines match.
   */
  view(count: number, filter: { service?: string; search?: string } = {}, upTo = this.next): LogLine[] {
    const out: LogLine[] = [];
    const needle = filter.search?.toLowerCase();
    const oldest = Math.max(0, this.entries.length - this.capacity);
    for (let i = this.entries.length - 1; i >= oldest && out.length < count; i--) {
      const { line: l, seq } = this.entries[i]!;
      if (seq >= upTo) continue;
      if (filter.service && l.service !== filter.service) continue;
      if (needle && !l.text.toLowerCase().includes(needle)) continue;
      out.push(l);
    }
    return out.reverse();
  }
}
