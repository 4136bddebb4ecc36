// Writing a memo: the slow path of a call that bin/berth.js could not answer from one. While the verb runs,
// the files it reads are journalled (src/inputs) and what it writes is kept; a verb whose answer depends on
// nothing else says so (offerMemo) once it has it, and the memo is written when the call ends with exit 0.
import { isRecent, journalEntries, startJournal, stopJournal } from '../inputs/journal.js';
import { type EngineCheck, writeMemo } from './store.js';

/** Output beyond this is not kept: replaying it would save little, and the cache would hold it all. */
const MAX_OUTPUT = 256 * 1024;

interface Recording {
  key: string;
  out: Array<[1 | 2, string]>;
  bytes: number;
  offered?: { engine?: EngineCheck };
  restore: () => void;
}

let rec: Recording | undefined;

/** Start journalling inputs and keeping output, for the memo `key` (from bin/berth.js). */
export function startMemo(key: string): void {
  startJournal();
  const r: Recording = { key, out: [], bytes: 0, restore: () => {} };
  const keep = (fd: 1 | 2, stream: NodeJS.WriteStream) => {
    const write = stream.write;
    stream.write = function (this: NodeJS.WriteStream, chunk: unknown, ...rest: unknown[]) {
      const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8');
      r.bytes += text.length;
      if (r.bytes <= MAX_OUTPUT) r.out.push([fd, text]);
      // past the cap no memo can be written: a log feed or the UI writes on without the copy
      else r.restore();
      return (write as (...a: unknown[]) => boolean).call(this, chunk, ...rest);
    } as typeof stream.write;
    return () => {
      stream.write = write;
    };
  };
  const undo = [keep(1, process.stdout), keep(2, process.stderr)];
  r.restore = () => {
    for (const f of undo) f();
  };
  rec = r;
}

/**
 * The verb's answer depends only on argv, cwd, environment and the journalled files (and, with `engine`, on
 * the engine looking as it did): it may be memoized if the call ends well.
 */
export function offerMemo(engine?: EngineCheck): void {
  if (rec) rec.offered = { engine };
}

/** Write the memo, if one was offered, the call succeeded and its inputs are trustworthy; stop recording. */
export function finishMemo(exitCode: number | string | undefined): void {
  const r = rec;
  rec = undefined;
  if (!r) return;
  r.restore();
  const inputs = journalEntries();
  stopJournal();
  if (!r.offered || !inputs || (exitCode !== undefined && Number(exitCode) !== 0)) return;
  if (r.bytes > MAX_OUTPUT) return;
  const now = Date.now();
  if ([...inputs.values()].some((s) => isRecent(s, now))) return;
  writeMemo(r.key, { inputs: [...inputs], out: r.out, engine: r.offered.engine });
}
