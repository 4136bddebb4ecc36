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
import { advanceMark, eventSeconds, type Mark, readFrom, selects, skipRepeats } from './marks.js';
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

export async function followLogs(opts: FollowOptions, sink: LogSink): Promise<void> {
  if (opts.signal?.aborted) return;
  await new LogFeed(opts, sink).run();
}

/**
 * One run of the feed. State: the open readers, each container's mark, containers seen before (a recreate is
 * read from its first line, a restart from where the feed stopped), and whether the sink is full.
 */
class LogFeed {
  private readonly engine: Engine;
  private readonly ac = runAbortController();
  private readonly readers = new Map<string, Reader>();
  private readonly marks = new Map<string, Mark>();
  private readonly restartPending = new Set<string>();
  /** Engine time a container last stopped: where re-reading it begins when none of its lines was read. */
  private readonly diedAt = new Map<string, string>();
  /** Containers read before: a new one (a recreate) is read from its first line. */
  private readonly known = new Set<string>();
  private readonly attaching = new Set<string>();
  private readonly merge?: OrderedMerge<LogLine>;
  private readonly wanted: (t: Pick<LogTarget, 'service' | 'replica'>) => boolean;
  private sinkFull = false;
  private finished = false;
  private events?: EventWatch;
  private finish!: () => void;
  private readonly done = new Promise<void>((r) => {
    this.finish = r;
  });

  constructor(
    private readonly opts: FollowOptions,
    private readonly sink: LogSink,
  ) {
    this.engine = opts.engine;
    this.merge = opts.follow ? undefined : new OrderedMerge<LogLine>();
    this.wanted = selects(opts.services, opts.index);
  }

  async run(): Promise<void> {
    const { opts } = this;
    const onAbort = () => this.stop();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    if (opts.follow)
      this.events = await this.engine.watchContainerEvents({ labels: [projectSelector(opts.project)] }, (e) =>
        this.onEvent(e),
      );
    const all = await listLogTargets(this.engine, opts.project);
    const targets = all.filter(this.wanted);
    // Every replica of the selected services, also with --index: `web-2 |` stays `web-2 |`.
    this.sink.targets?.(all.filter((t) => !opts.services?.length || opts.services.includes(t.service)));
    if (targets.length === 0 && (!opts.follow || all.length === 0)) this.stop();
    else {
      for (const t of targets) this.merge?.add(t.id);
      await Promise.all(targets.map((t) => this.attach(t, true)));
    }
    await this.done;
    opts.signal?.removeEventListener('abort', onAbort);
  }

  /** Pause every stream while the sink is full, and the fast ones while the ordered merge waits for slow ones. */
  private updateFlow(): void {
    for (const [id, r] of this.readers) {
      const hold = this.sinkFull || (this.merge !== undefined && this.merge.queued(id) > MERGE_HIGH);
      if (hold && !r.paused) r.stream.pause();
      else if (!hold && r.paused) r.stream.resume();
      r.paused = hold;
    }
  }

  private deliver(lines: LogLine[]): void {
    if (lines.length === 0) return;
    if (!this.sink.write(lines) && !this.sinkFull) {
      this.sinkFull = true;
      this.updateFlow();
      void this.sink.drain().then(() => {
        this.sinkFull = false;
        this.updateFlow();
      });
    }
  }

  private stop(): void {
    if (this.finished) return;
    this.finished = true;
    this.ac.abort();
    this.events?.close();
    for (const r of this.readers.values()) r.stream.destroy();
    this.readers.clear();
    this.finish();
  }

  private flushMerge(): void {
    if (!this.merge) return;
    this.deliver(this.merge.take());
    this.updateFlow();
  }

  private async open(target: LogTarget, first: boolean): Promise<Readable | undefined> {
    const { opts } = this;
    const mark = this.marks.get(target.id);
    try {
      return await this.engine.openLogs(target.id, {
        follow: opts.follow,
        timestamps: true,
        since: readFrom(mark, !first && this.known.has(target.id), this.diedAt.get(target.id), opts.since),
        until: opts.until,
        tail: first ? opts.tail : 'all',
        signal: this.ac.signal,
      });
    } catch {
      return undefined; // the container went away between the event and the attach: nothing to read
    }
  }

  private async attach(target: LogTarget, first: boolean): Promise<void> {
    if (this.readers.has(target.id) || this.attaching.has(target.id) || this.finished) return;
    this.attaching.add(target.id);
    const mark = this.marks.get(target.id);
    const skip = skipRepeats(mark ? { ...mark } : undefined);
    const stream = await this.open(target, first).finally(() => this.attaching.delete(target.id));
    if (!stream) {
      this.merge?.end(target.id);
      this.flushMerge();
      void this.checkGone();
      return;
    }
    if (this.finished) {
      stream.destroy();
      return;
    }
    this.known.add(target.id);
    this.readers.set(target.id, { target, stream, paused: false });
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
      const m = advanceMark(this.marks.get(target.id), fresh);
      if (m) this.marks.set(target.id, m);
      if (this.merge) {
        this.merge.push(target.id, fresh);
        this.flushMerge();
      } else this.deliver(fresh);
    };
    let ended = false;
    const onEnd = () => {
      if (ended) return;
      ended = true;
      emit(toLines(decoder.end()));
      this.readers.delete(target.id);
      if (this.merge) {
        this.merge.end(target.id);
        this.flushMerge();
        if (this.merge.done) this.stop();
        return;
      }
      void this.afterFollowEnd(target);
    };
    stream.on('data', (chunk: Buffer) => emit(toLines(decoder.push(chunk))));
    stream.on('end', onEnd);
    stream.on('close', onEnd);
    stream.on('error', onEnd);
    this.updateFlow();
  }

  /** A followed stream ended: the container stopped. Re-attach if it is already running again. */
  private async afterFollowEnd(target: LogTarget): Promise<void> {
    if (this.finished) return;
    const pending = this.restartPending.delete(target.id);
    const now = pending ? undefined : await inspectLogTarget(this.engine, target.id);
    if (pending || now?.running || this.restartPending.delete(target.id))
      await this.attach(now ?? target, false);
    else await this.checkGone();
  }

  /** Following ends when the project has no containers left (`berth down`). */
  private async checkGone(): Promise<void> {
    if (this.finished || !this.opts.follow || this.readers.size > 0 || this.attaching.size > 0) return;
    const left = await listLogTargets(this.engine, this.opts.project).catch(() => []);
    if (left.length === 0 && this.readers.size === 0 && this.attaching.size === 0) this.stop();
  }

  private onEvent(e: ContainerEvent): void {
    if (this.finished) return;
    if (e.action === 'start') {
      if (this.readers.has(e.id)) {
        this.restartPending.add(e.id);
        return;
      }
      void inspectLogTarget(this.engine, e.id).then((t) => {
        if (!t || !this.wanted(t)) return;
        this.sink.targets?.([t]);
        return this.attach(t, false);
      });
    } else if (e.action === 'die') {
      this.diedAt.set(e.id, eventSeconds(e.timeNano));
    } else if (e.action === 'destroy') {
      this.marks.delete(e.id);
      void this.checkGone();
    }
  }
}

export { engineSeconds } from './marks.js';
