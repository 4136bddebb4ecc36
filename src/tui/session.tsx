// `berth ui` and attached `up` on a terminal: wires the engine (snapshot, event stream, log feed, container
// actions) to the store the App renders. Live state comes from the event stream; the only timers are the
// App's frame batching and its one-second uptime clock.
import { runAbortController } from '../abort.js';
import type { Engine, EventWatch } from '../engine/port.js';
import { type ContainerEvent, Label, projectSelector } from '../model/index.js';
import { followLogs } from '../logs/follow.js';
import { App, type UiActions } from './App.js';
import { mountFullScreen } from './fullscreen.js';
import type { StackService } from './model.js';
import { UiStore } from './store.js';

export interface UiTarget {
  project: string;
  stackName?: string;
  client?: string;
  /** Where the client router serves this client, when it runs beside others (`berth use A B`). */
  url?: string;
  /** Services of the stack file with their wanted replicas (empty without a file). */
  services: StackService[];
}

export interface UiOptions extends UiTarget {
  color: boolean;
  engine: Engine;
  /** Lines of history per container shown at start. */
  tail?: number;
  /**
   * Attached `up`: quitting (q, Ctrl-C) stops the stack through this, and the UI shows its progress lines
   * until it is done. Without it, quitting leaves the stack running.
   */
  stopStack?: (progress: (line: string) => void) => Promise<void>;
  clients?: () => Promise<{ names: string[]; active?: string }>;
  /** Switch the active client; resolves with what to show next. */
  switchClient?: (name: string) => Promise<UiTarget>;
  stdout?: NodeJS.WriteStream;
  stdin?: NodeJS.ReadStream;
}

/**
 * A full collection every two seconds. The UI allocates steadily (frames, decoded lines) but keeps little;
 * what it keeps for a while (a line in the pane's buffer lives seconds) dies in the old generation, and V8
 * left alone lets that grow by tens of MB before it collects. A periodic collection of a small heap costs a
 * few ms and keeps the resident size near what is live: `npx tsx bench/logs.ts` with BENCH_UI_SECONDS=60,
 * max RSS 144-151 MB with it, 199-230 MB without (target < 150 MB).
 */
async function periodicGc(ms: number): Promise<NodeJS.Timeout | undefined> {
  const [{ setFlagsFromString }, { runInNewContext }] = await Promise.all([
    import('node:v8'),
    import('node:vm'),
  ]);
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as (() => void) | undefined;
  if (typeof gc !== 'function') return undefined;
  const t = setInterval(gc, ms);
  t.unref();
  return t;
}

/**
 * One UI session's wiring: the engine's event stream and log feed into the store, the App's actions out to the
 * engine. `follow` (re)points it at a project: at start and after a client switch.
 */
class UiSession {
  readonly store: UiStore;
  private target: UiTarget;
  private events?: EventWatch;
  private feed?: AbortController;
  private feedRunning = false;
  private closed = false;
  private quitting?: Promise<void>;
  private unmount?: (progress?: string[]) => void;
  readonly actions: UiActions;
  private readonly finished: Promise<void>;
  private resolveFinished!: () => void;

  constructor(
    private readonly opts: UiOptions,
    private readonly engineName: string,
    private readonly gcTimer: NodeJS.Timeout | undefined,
  ) {
    this.target = opts;
    this.store = new UiStore(this.headerOf(opts), opts.services);
    this.finished = new Promise<void>((r) => {
      this.resolveFinished = r;
    });
    this.actions = {
      restart: (s) => this.each(s, (id) => this.engine.restartContainer(id)),
      toggle: (s) => {
        const running = this.store.containersOf(s).some((c) => c.state === 'running');
        return this.each(s, (id) =>
          running ? this.engine.stopContainer(id) : this.engine.startContainer(id),
        );
      },
      clients: this.opts.clients ?? (async () => ({ names: [] })),
      switchClient: this.opts.switchClient
        ? async (name) => this.follow(await this.opts.switchClient!(name))
        : undefined,
      quit: () => this.quit(),
    };
  }

  private get engine(): Engine {
    return this.opts.engine;
  }

  private headerOf(t: UiTarget) {
    return {
      stack: t.stackName ?? t.project,
      project: t.project,
      client: t.client,
      url: t.url,
      engine: this.engineName,
    };
  }

  private startFeed(tail: number): void {
    const feed = runAbortController();
    this.feed = feed;
    this.feedRunning = true;
    void followLogs(
      { project: this.target.project, follow: true, tail, signal: feed.signal, engine: this.engine },
      {
        // The ring buffer is bounded, so the UI always takes lines at once and never holds the feed back.
        write: (lines) => {
          this.store.pushLogs(lines);
          return true;
        },
        drain: () => Promise.resolve(),
      },
    )
      .catch((err: unknown) => this.store.setStatus(`logs: ${(err as Error).message}`))
      .finally(() => {
        if (this.feed === feed) this.feedRunning = false;
      });
  }

  private onEvent(e: ContainerEvent): void {
    if (!e.service || e.attributes[Label.oneoff] !== undefined) return;
    this.store.event(e);
    // Ports and start times are not in events: look once when a container starts or is first seen.
    if (e.action === 'start' || (!this.store.has(e.id) && e.action !== 'destroy')) {
      void this.engine.inspectContainer(e.id).then((f) => {
        if (f && !f.oneoff && f.service && !this.closed) this.store.upsert(f);
      });
    }
    // The feed ends when the stack is gone; when it comes back (`berth up` elsewhere), follow it again.
    if (e.action === 'start' && !this.feedRunning && !this.closed) this.startFeed(0);
  }

  async follow(t: UiTarget): Promise<void> {
    this.events?.close();
    this.feed?.abort();
    this.target = t;
    const labels = [projectSelector(t.project)];
    this.events = await this.engine.watchContainerEvents({ labels }, (e) => this.onEvent(e));
    const list = await this.engine.listContainers({ all: true, labels });
    const facts = await Promise.all(list.map((c) => this.engine.inspectContainer(c.id)));
    this.store.reset(
      facts.filter((f) => f !== undefined && !f.oneoff && !!f.service).map((f) => f!),
      this.headerOf(t),
      t.services,
    );
    this.startFeed(this.opts.tail ?? 50);
  }

  private async each(service: string, fn: (id: string) => Promise<void>): Promise<void> {
    const ids = this.store.containersOf(service).map((c) => c.id);
    if (ids.length === 0) throw new Error(`${service} has no containers (create them with \`berth up\`)`);
    await Promise.all(ids.map(fn));
  }

  private quit(): void {
    if (this.quitting) return;
    const { stopStack } = this.opts;
    if (!stopStack) {
      this.quitting = Promise.resolve();
      this.close();
      return;
    }
    this.store.addProgress('Gracefully stopping… (Ctrl-C again to force)');
    this.quitting = stopStack((line) => this.store.addProgress(line))
      .catch((err: unknown) => this.store.addProgress(`stop failed: ${(err as Error).message}`))
      .finally(() => setTimeout(() => this.close(), 300));
  }

  private close(): void {
    this.closed = true;
    if (this.gcTimer) clearInterval(this.gcTimer);
    this.events?.close();
    this.feed?.abort();
    this.unmount?.(this.store.progress);
    this.resolveFinished();
  }

  /** Show the App until the user quits; a second Ctrl-C while the stack stops exits at once. */
  async show(): Promise<void> {
    const onSignal = () => (this.quitting ? process.exit(130) : this.quit());
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
    const screen = mountFullScreen(
      <App store={this.store} actions={this.actions} color={this.opts.color} />,
      {
        stdout: this.opts.stdout ?? process.stdout,
        stdin: this.opts.stdin ?? process.stdin,
      },
    );
    this.unmount = (progress) => screen.close(progress);
    if (this.closed) screen.close(this.store.progress);
    try {
      // Not instance.waitUntilExit(): created after unmount it never settles.
      await this.finished;
    } finally {
      process.removeListener('SIGTERM', onSignal);
      process.removeListener('SIGINT', onSignal);
    }
  }
}

export async function runUi(opts: UiOptions): Promise<void> {
  const gcTimer = await periodicGc(2000);
  const version = await opts.engine.info().then(
    (i) => i.version,
    () => 'docker ?',
  );
  const session = new UiSession(opts, `${version} (${opts.engine.endpoint})`, gcTimer);
  await session.follow(opts);
  await session.show();
}
