// Every file a verb's answer depends on, besides its argv, working directory and environment: the stack files,
// overlays, includes, extends, .env and env_files it read, the ones it looked for and did not find, the client
// state, the restart debt and the engine's context. A memo (src/memo) of the answer holds as long as each of
// these files still has the stamp it had when it was read. Off (and free) unless a memo may be written.
import { statSync } from 'node:fs';
import path from 'node:path';

let journal: Map<string, string> | undefined;

/** Start noting inputs (bin/berth.js, when the call may be memoized). */
export function startJournal(): void {
  journal = new Map();
}

/** The inputs noted so far, path → stamp; undefined when no journal runs. */
export function journalEntries(): ReadonlyMap<string, string> | undefined {
  return journal;
}

export function stopJournal(): void {
  journal = undefined;
}

/**
 * Note a file (or folder) about to be read or looked for. Called before the read, so a change made during or
 * after it gives another stamp, never the old stamp with the new content.
 */
export function noteInput(file: string): void {
  if (!journal) return;
  const abs = path.resolve(file);
  if (!journal.has(abs)) journal.set(abs, stampOf(abs));
}

/**
 * Identity and version of a path: device, inode, size, and modification and change times to the nanosecond (a
 * rename over it, an edit, a chmod all move one). A folder's times move when an entry is added or removed. `-`:
 * nothing there.
 */
export function stampOf(file: string): string {
  try {
    // no throw for a missing file: building the error costs more than the stat
    const st = statSync(file, { bigint: true, throwIfNoEntry: false });
    return st ? `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}` : '-';
  } catch {
    return '-';
  }
}

/**
 * Whether a stamp's file changed less than `windowMs` before `nowMs`. A file written within the clock's
 * granularity of its read could change again with the same stamp (git's "racy clean"), so no memo trusts it.
 */
export function isRecent(stamp: string, nowMs: number, windowMs = 2000): boolean {
  const [, , , mtime, ctime] = stamp.split(':');
  if (mtime === undefined || ctime === undefined) return false;
  const latest = Number((BigInt(mtime) > BigInt(ctime) ? BigInt(mtime) : BigInt(ctime)) / 1_000_000n);
  return latest > nowMs - windowMs;
}
