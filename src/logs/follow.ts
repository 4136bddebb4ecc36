// The log feed: reads every selected container's log stream, decodes it into lines and hands them to a sink
// in batches. Without `follow`, lines come out ordered by time across containers. With `follow`, containers
// that are created, recreated or restarted meanwhile are picked up from the engine's event stream, and the
// feed ends when the project has no containers left. A sink that cannot keep up pauses every engine stream
// (backpressure through the socket), so memory stays bounded and nothing is dropped.
import type { Readable } from 'node:stream';
import { runAbortController } from '../abort.js';
import type { Engine, EventWatch } from '../engine/port.js';
import { type ContainerEvent, projectSelector } from '../model/index.js';
import { LogDecoder } from './decode.js';
import { OrderedMerge } from './merge.js';
import { inspectLogTarget, listLogTargets } from './targets.js';
import type { LogLine, LogTarget } from './types.js';

export interface FollowOptions {
  project: string;
  /** Only these services (all when empty). */
  services?: string[];
  /** Only this replica of each selected service. */
  index?: number;
  follow: boolean;
  /** Unix seconds, as `engineTime()` gives them. */
  since?: string;
  until?: string;
  /** Lines of history per container at the start. */
  tail?: number | 'all';
  signal?: AbortSignal;
  engine: Engine;
}

export interface LogSink {
  /** Take a batch of lines (one container's, in order). Return false to pause the feed until `drain()`. */
  write(lines: LogLine[]): boolean;
  /** Resolves when the sink can take more after `write` returned false. */
  drain(): Promise<void>;
  /** The feed is about to read these containers (so a formatter can size prefixes before their lines). */
  targets?(targets: LogTarget[]): void;
}

/** Per-queue line count above which a source is paused while the ordered merge waits for slower ones. */
const MERGE_HIGH = 4096;

interface Reader {
  target: LogTarget;
  stream: Readable;
  paused: boolean;
}

/** Where we got to in one container's log, so re-reading it after a restart repeats and skips nothing. */
interface Mark {
  ts: string;
  /** Lines already delivered that carry exactly `ts`. */
  atTs: number;
}

export async function followLogs(opts: FollowOptions, sink: LogSink): Promise<void> {
  const { engine } = opts;
  const ac = runAbortController();
  if (opts.signal?.aborted) return;

  const readers = new Map<string, Reader>();
  const marks = new Map<string, Mark>();
  const restartPending = new Set<string>();
  /** Engine time a container last stopped: where re-reading it begins when none of its lines was read. */
  const diedAt = new Map<string, string>();
  /** Containers read before: a new one (a recreate) is read from its first line. */
  const known = new Set<string>();
  const attaching = new Set<string>();
  const merge = opts.follow ? undefined : new OrderedMerge<LogLine>();
  let sinkFull = false;
  let finished = false;
  let finish!: () => void;
  const done = new Promise<void>((r) => {
    finish = r;
  });
  let events: EventWatch | undefined;

  const wanted = (t: Pick<LogTarget, 'service' | 'replica'>) =>
    (!opts.services?.length || opts.services.includes(t.service)) &&
    (opts.index === undefined || t.replica === opts.index);

  const updateFlow = () => {
    for (const [id, r] of readers) {
      const hold = sinkFull || (merge !== undefined && merge.queued(id) > MERGE_HIGH);
      if (hold && !r.paused) r.stream.pause();
      else if (!hold && r.paused) r.stream.resume();
      r.paused = hold;
    }
  };

  const deliver = (lines: LogLine[]) => {
    if (lines.length === 0) return;
    if (!sink.write(lines) && !sinkFull) {
      sinkFull = true;
      updateFlow();
      void sink.drain().then(() => {
        sinkFull = false;
        updateFlow();
      });
    }
  };

  const stop = () => {
    if (finished) return;
    finished = true;
    ac.abort();
    events?.close();
    for (const r of readers.values()) r.stream.destroy();
    readers.clear();
    finish();
  };

  /**
   * Record how far a container's log was delivered (the latest timestamp, and how many lines carry it), so a
   * re-read after a restart can start there. The engine stamps stdout and stderr in separate goroutines, so
   * timestamps are not monotonic within one stream: the mark is the maximum, and filtering against it
   * happens only at the start of a re-read (`skipRepeats`), never on a live stream.
   */
  const advanceMark = (id: string, lines: LogLine[]) => {
    let m = marks.get(id);
    for (const l of lines) {
      if (!l.ts) continue;
      if (!m || l.ts > m.ts) m = { ts: l.ts, atTs: 1 };
      else if (l.ts === m.ts) m.atTs++;
    }
    if (m) marks.set(id, m);
  };

  /** A re-read starts at the mark's timestamp, inclusive: drop what was already delivered, then stop checking. */
  const skipRepeats = (mark: Mark | undefined) => {
    let skipping = mark?.ts ? { ts: mark.ts, left: mark.atTs } : undefined;
    return (lines: LogLine[]): LogLine[] => {
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
  };

  const attach = async (target: LogTarget, first: boolean) => {
    if (readers.has(target.id) || attaching.has(target.id) || finished) return;
    attaching.add(target.id);
    const mark = marks.get(target.id);
    const skip = skipRepeats(mark ? { ...mark } : undefined);
    let stream: Readable;
    try {
      stream = await engine.openLogs(target.id, {
        follow: opts.follow,
        timestamps: true,
        since: mark?.ts
          ? engineSeconds(mark.ts)
          : !first && known.has(target.id)
            ? (diedAt.get(target.id) ?? opts.since)
            : opts.since,
        until: opts.until,
        tail: first ? opts.tail : 'all',
        signal: ac.signal,
      });
    } catch {
      // The container went away between the event and the attach: nothing to read.
      attaching.delete(target.id);
      merge?.end(target.id);
      flushMerge();
      void checkGone();
      return;
    } finally {
      attaching.delete(target.id);
    }
    if (finished) {
      stream.destroy();
      return;
    }
    known.add(target.id);
    const reader: Reader = { target, stream, paused: false };
    readers.set(target.id, reader);
    const decoder = new LogDecoder({ tty: target.tty, timestamps: true });
    const toLines = (decoded: ReturnType<LogDecoder['push']>): LogLine[] =>
      decoded.map((d) => ({
        container: target.id,
        service: target.service,
        replica: target.replica,
        stream: d.stream,
        ts: d.ts,
        text: d.text,
      }));
    const emit = (lines: LogLine[]) => {
      const fresh = skip(lines);
      advanceMark(target.id, fresh);
      if (merge) {
        merge.push(target.id, fresh);
        flushMerge();
      } else deliver(fresh);
    };
    let ended = false;
    const onEnd = () => {
      if (ended) return;
      ended = true;
      emit(toLines(decoder.end()));
      readers.delete(target.id);
      if (merge) {
        merge.end(target.id);
        flushMerge();
        if (merge.done) stop();
        return;
      }
      void afterFollowEnd(target);
    };
    stream.on('data', (chunk: Buffer) => emit(toLines(decoder.push(chunk))));
    stream.on('end', onEnd);
    stream.on('close', onEnd);
    stream.on('error', onEnd);
    updateFlow();
  };

  const flushMerge = () => {
    if (!merge) return;
    deliver(merge.take());
    updateFlow();
  };

  /** A followed stream ended: the container stopped. Re-attach if it is already running again. */
  const afterFollowEnd = async (target: LogTarget) => {
    if (finished) return;
    const pending = restartPending.delete(target.id);
    const now = pending ? undefined : await inspectLogTarget(engine, target.id);
    if (pending || now?.running || restartPending.delete(target.id)) await attach(now ?? target, false);
    else await checkGone();
  };

  const checkGone = async () => {
    if (finished || !opts.follow || readers.size > 0 || attaching.size > 0) return;
    const left = await listLogTargets(engine, opts.project).catch(() => []);
    if (left.length === 0 && readers.size === 0 && attaching.size === 0) stop();
  };

  const onEvent = (e: ContainerEvent) => {
    if (finished) return;
    if (e.action === 'start') {
      if (readers.has(e.id)) {
        restartPending.add(e.id);
        return;
      }
      void inspectLogTarget(engine, e.id).then((t) => {
        if (!t || !wanted(t)) return;
        sink.targets?.([t]);
        return attach(t, false);
      });
    } else if (e.action === 'die') {
      diedAt.set(
        e.id,
        `${e.timeNano / 1_000_000_000n}.${String(e.timeNano % 1_000_000_000n).padStart(9, '0')}`,
      );
    } else if (e.action === 'destroy') {
      marks.delete(e.id);
      void checkGone();
    }
  };

  const onAbort = () => stop();
  opts.signal?.addEventListener('abort', onAbort, { once: true });

  if (opts.follow)
    events = await engine.watchContainerEvents({ labels: [projectSelector(opts.project)] }, onEvent);
  const all = await listLogTargets(engine, opts.project);
  const targets = all.filter(wanted);
  // Every replica of the selected services, also with --index: `web-2 |` stays `web-2 |`.
  sink.targets?.(all.filter((t) => !opts.services?.length || opts.services.includes(t.service)));
  if (targets.length === 0 && (!opts.follow || all.length === 0)) {
    stop();
  } else {
    for (const t of targets) merge?.add(t.id);
    await Promise.all(targets.map((t) => attach(t, true)));
  }
  await done;
  opts.signal?.removeEventListener('abort', onAbort);
}

/** The engine's RFC3339Nano timestamp as Unix seconds with nanoseconds, as `since` takes it. */
export function engineSeconds(ts: string): string {
  const secs = Math.floor(Date.parse(`${ts.slice(0, 19)}Z`) / 1000);
  const frac = (/\.(\d+)/.exec(ts)?.[1] ?? '0').padEnd(9, '0').slice(0, 9);
  return `${secs}.${frac}`;
}
