// Where the feed got to in one container's log, so re-reading it after a restart repeats and skips nothing.
// Pure: the feed (follow.ts) keeps one Mark per container and filters a re-read with `skipRepeats`.
import type { LogLine, LogTarget } from './types.js';

export interface Mark {
  ts: string;
  /** Lines already delivered that carry exactly `ts`. */
  atTs: number;
}

/**
 * The mark after delivering `lines`: the latest timestamp, and how many delivered lines carry it. The engine
 * stamps stdout and stderr in separate goroutines, so timestamps are not monotonic within one stream: the mark
 * is the maximum, and filtering against it happens only at the start of a re-read, never on a live stream.
 */
export function advanceMark(mark: Mark | undefined, lines: readonly LogLine[]): Mark | undefined {
  let m = mark ? { ...mark } : undefined;
  for (const l of lines) {
    if (!l.ts) continue;
    if (!m || l.ts > m.ts) m = { ts: l.ts, atTs: 1 };
    else if (l.ts === m.ts) m.atTs++;
  }
  return m;
}

/** A re-read starts at the mark's timestamp, inclusive: drop what was already delivered, then stop checking. */
export function skipRepeats(mark: Mark | undefined): (lines: LogLine[]) => LogLine[] {
  let skipping = mark?.ts ? { ts: mark.ts, left: mark.atTs } : undefined;
  return (lines) => {
    if (!skipping) return lines;
    const out: LogLine[] = [];
    for (const l of lines) {
      if (!skipping) out.push(l);
      else if (!l.ts || l.ts > skipping.ts) {
        skipping = undefined;
        out.push(l);
      } else if (l.ts === skipping.ts && skipping.left <= 0) out.push(l);
      else if (l.ts === skipping.ts) skipping.left--;
    }
    return out;
  };
}

/** The engine's RFC3339Nano timestamp as Unix seconds with nanoseconds, as `since` takes it. */
export function engineSeconds(ts: string): string {
  const secs = Math.floor(Date.parse(`${ts.slice(0, 19)}Z`) / 1000);
  const frac = (/\.(\d+)/.exec(ts)?.[1] ?? '0').padEnd(9, '0').slice(0, 9);
  return `${secs}.${frac}`;
}

/** An event's nanosecond time as Unix seconds with nanoseconds. */
export const eventSeconds = (timeNano: bigint) =>
  `${timeNano / 1_000_000_000n}.${String(timeNano % 1_000_000_000n).padStart(9, '0')}`;

/** Whether a container is one the feed was asked for (services, and replica with --index). */
export const selects =
  (services: readonly string[] | undefined, index: number | undefined) =>
  (t: Pick<LogTarget, 'service' | 'replica'>) =>
    (!services?.length || services.includes(t.service)) && (index === undefined || t.replica === index);

/** Where reading a container's log starts: after its mark, after it last died (a re-attach), or at `since`. */
export function readFrom(
  mark: Mark | undefined,
  reattach: boolean,
  diedAt: string | undefined,
  since: string | undefined,
): string | undefined {
  if (mark?.ts) return engineSeconds(mark.ts);
  if (reattach) return diedAt ?? since;
  return since;
}
