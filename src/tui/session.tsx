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

export async function runUi(opts: UiOptions): Promise<void> {
  const gcTimer = await periodicGc(2000);
  const docker = opts.engine;
  const version = await docker.info().then(
    (i) => i.version,
    () => 'docker ?',
  );
  const engine = `${version} (${docker.endpoint})`;
  const headerOf = (t: UiTarget) => ({
    stack: t.stackName ?? t.project,
    project: t.project,
    client: t.client,
    url: t.url,
    engine,
  });
  const store = new UiStore(headerOf(opts), opts.services);

  let target: UiTarget = opts;
  let events: EventWatch | undefined;
  let feed: AbortController | undefined;
  let feedRunning = false;
  let closed = false;

  const startFeed = (tail: number) => {
    feed = runAbortController();
    feedRunning = true;
    const signal = feed.signal;
    void followLogs(
      { project: target.project, follow: true, tail, signal, engine: docker },
      {
        // The ring buffer is bounded, so the UI always takes lines at once and never holds the feed back.
        write: (lines) => {
          store.pushLogs(lines);
          return true;
        },
        drain: () => Promise.resolve(),
      },
    )
      .catch((err: unknown) => store.setStatus(`logs: ${(err as Error).message}`))
      .finally(() => {
        if (feed?.signal === signal) feedRunning = false;
      });
  };

  const onEvent = (e: ContainerEvent) => {
    if (!e.service || e.attributes[Label.oneoff] !== undefined) return;
    store.event(e);
    // Ports and start times are not in events: look once when a container starts or is first seen.
    if (e.action === 'start' || (!store.has(e.id) && e.action !== 'destroy')) {
      void docker.inspectContainer(e.id).then((f) => {
        if (f && !f.oneoff && f.service && !closed) store.upsert(f);
      });
    }
    // The feed ends when the stack is gone; when it comes back (`berth up` elsewhere), follow it again.
    if (e.action === 'start' && !feedRunning && !closed) startFeed(0);
  };

  const follow = async (t: UiTarget) => {
    events?.close();
    feed?.abort();
    target = t;
    events = await docker.watchContainerEvents({ labels: [projectSelector(t.project)] }, onEvent);
    const list = await docker.listContainers({ all: true, labels: [projectSelector(t.project)] });
    const facts = (await Promise.all(list.map((c) => docker.inspectContainer(c.id)))).filter(
      (f) => f !== undefined && !f.oneoff && f.service,
    );
    store.reset(
      facts.filter((f) => f !== undefined),
      headerOf(t),
      t.services,
    );
    startFeed(opts.tail ?? 50);
  };
  await follow(opts);

  const each = async (service: string, fn: (id: string) => Promise<void>) => {
    const ids = store.containersOf(service).map((c) => c.id);
    if (ids.length === 0) throw new Error(`${service} has no containers (create them with \`berth up\`)`);
    await Promise.all(ids.map(fn));
  };

  let quitting: Promise<void> | undefined;
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => {
    resolveDone = r;
  });
  const close = () => {
    closed = true;
    if (gcTimer) clearInterval(gcTimer);
    events?.close();
    feed?.abort();
    screen.close(store.progress);
    resolveDone();
  };

  const actions: UiActions = {
    restart: (s) => each(s, (id) => docker.restartContainer(id)),
    toggle: (s) => {
      const running = store.containersOf(s).some((c) => c.state === 'running');
      return each(s, (id) => (running ? docker.stopContainer(id) : docker.startContainer(id)));
    },
    clients: opts.clients ?? (async () => ({ names: [] })),
    switchClient: opts.switchClient
      ? async (name) => {
          const next = await opts.switchClient!(name);
          await follow(next);
        }
      : undefined,
    quit: () => {
      if (quitting) return;
      if (!opts.stopStack) {
        quitting = Promise.resolve();
        close();
        return;
      }
      store.addProgress('Gracefully stopping… (Ctrl-C again to force)');
      quitting = opts
        .stopStack((line) => store.addProgress(line))
        .catch((err: unknown) => store.addProgress(`stop failed: ${(err as Error).message}`))
        .finally(() => setTimeout(close, 300));
    },
  };

  const onSignal = () => (quitting ? process.exit(130) : actions.quit());
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  const screen = mountFullScreen(<App store={store} actions={actions} color={opts.color} />, {
    stdout: opts.stdout ?? process.stdout,
    stdin: opts.stdin ?? process.stdin,
  });
  try {
    // Not instance.waitUntilExit(): created after unmount it never settles.
    await done;
  } finally {
    process.removeListener('SIGTERM', onSignal);
    process.removeListener('SIGINT', onSignal);
  }
}
