import { render } from 'ink-testing-library';
import stringWidth from 'string-width';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { App, type UiActions } from '../../src/tui/App.js';
import type { ContainerFacts } from '../../src/tui/model.js';
import { UiStore } from '../../src/tui/store.js';
import {
  inputReady,
  KEY,
  logLine,
  nextFrame,
  recordedEvents,
  resize,
  stamp,
  untilEvent,
  waitForFrame,
  waitForText,
} from './helpers.js';

// Every step waits for the frame it expects (never a fixed time): a render takes what it takes on a busy
// machine. A check that something is *not* shown looks at a frame rendered after the change (nextFrame).

const events = recordedEvents();
const stackServices = [
  { name: 'web', replicas: 1, image: 'berth/busybox:latest' },
  { name: 'app', replicas: 2, image: 'berth/busybox:latest' },
  { name: 'db', replicas: 1, image: 'berth/busybox:latest' },
];

async function setup(
  opts: {
    color?: boolean;
    upTo?: number;
    actions?: Partial<UiActions>;
    statusMs?: number;
    frameMs?: number;
  } = {},
) {
  const store = new UiStore(
    { stack: 'shop', project: 'shop', client: 'acme', engine: 'docker 20.10.24' },
    stackServices,
    500,
  );
  for (const e of events.slice(0, opts.upTo ?? events.length)) store.event(e);
  const actions: UiActions = {
    restart: vi.fn(async () => {}),
    toggle: vi.fn(async () => {}),
    clients: vi.fn(async () => ({ names: ['acme', 'globex'], active: 'acme' })),
    quit: vi.fn(),
    ...opts.actions,
  };
  const r = render(
    <App
      store={store}
      actions={actions}
      color={opts.color ?? false}
      frameMs={opts.frameMs ?? 5}
      statusMs={opts.statusMs}
    />,
  );
  cleanup = r.unmount;
  resize(r.stdout, 100, 30);
  await inputReady(r.stdin);
  return { store, actions, ...r };
}

const rowOf = (frame: string, service: string) =>
  frame.split('\n').find((l) => new RegExp(`^[ ›] ${service} `).test(l)) ?? '';
/** A frame whose row for `service` matches. */
const rowMatches = (t: { lastFrame(): string | undefined; frames: string[] }, service: string, re: RegExp) =>
  waitForFrame(t, (f) => re.test(rowOf(f, service)), `${service} row to match ${re}`);
const selectedIs = (service: string) => (f: string) => rowOf(f, service).startsWith('›');
/** Apply the recorded events from just past `from` up to and including `to`. */
const replay = (store: UiStore, from: number, to: number) => {
  for (const e of events.slice(from, to)) store.event(e);
};
const upToStart = () => untilEvent(events, 'start', 'shop-web-1');

let cleanup: (() => void) | undefined;
afterEach(() => {
  cleanup?.();
  cleanup = undefined;
});

describe('service table from recorded engine events', () => {
  test('every service appears with its state, replicas and image once the containers start', async () => {
    const t = await setup({ upTo: upToStart() });
    const f = await waitForFrame(t, (x) => /running/.test(rowOf(x, 'web')), 'web running');
    expect(f).toContain('berth  stack shop  project shop  client acme  engine docker 20.10.24');
    // no health yet: the engine reports it with the first health_status event
    expect(rowOf(f, 'web')).toMatch(/running\s+-\s+1\/1/);
    expect(rowOf(f, 'app')).toMatch(/running\s+-\s+2\/2/);
    expect(rowOf(f, 'db')).toMatch(/running\s+-\s+1\/1/);
    expect(rowOf(f, 'app')).toContain('berth/busybox');
  });

  test('a health check, a restart and a stop show up as they happen', async () => {
    const healthy = untilEvent(events, 'health_status: healthy', 'shop-web-1');
    const t = await setup({ upTo: healthy });
    await rowMatches(t, 'web', /running\s+healthy/);
    const appDied = untilEvent(events, 'die', 'shop-app-1');
    replay(t.store, healthy, appDied);
    await rowMatches(t, 'app', /partial\s+-\s+1\/2/);
    replay(t.store, appDied, untilEvent(events, 'restart', 'shop-app-1'));
    await rowMatches(t, 'app', /running\s+-\s+2\/2/);
    replay(t.store, untilEvent(events, 'restart', 'shop-app-1'), untilEvent(events, 'stop', 'shop-db-1'));
    await rowMatches(t, 'db', /exited\s+-\s+0\/1/);
  });

  test('health is shown for running containers only: a stopped service is not `healthy`', async () => {
    const t = await setup({ upTo: untilEvent(events, 'health_status: healthy', 'shop-web-1') });
    await rowMatches(t, 'web', /running\s+healthy/);
    // `docker stop web-1`: the engine keeps the last health status of a stopped container
    replay(
      t.store,
      untilEvent(events, 'health_status: healthy', 'shop-web-1'),
      untilEvent(events, 'die', 'shop-web-1'),
    );
    const f = await rowMatches(t, 'web', /exited/);
    expect(rowOf(f, 'web')).toMatch(/exited\s+-\s+0\/1/);
    // an inspect of the stopped container says the same: its health is not shown either
    const web = t.store.containersOf('web')[0]!;
    t.store.upsert({ ...web, state: 'exited', health: 'healthy', startedAt: undefined });
    expect(rowOf(await nextFrame(t), 'web')).toMatch(/exited\s+-\s+0\/1/);
  });

  test("restarts are the engine's restart counts, summed per service; berth's own restarts are not counted", async () => {
    const t = await setup({ upTo: untilEvent(events, 'restart', 'shop-app-1') });
    // the recording's `docker restart app-1` (as `r` does): the engine does not count it, neither does berth
    const rst = /running\s+-\s+2\/2\s+-\s+\d+[smhd]\s+(\d+) /;
    let f = await rowMatches(t, 'app', rst);
    expect(rst.exec(rowOf(f, 'app'))![1]).toBe('0');
    // the restart policy restarted app-1 twice and app-2 once (RestartCount, as an inspect after a start reads)
    const [a1, a2] = t.store.containersOf('app') as [ContainerFacts, ContainerFacts];
    t.store.upsert({ ...a1, restarts: 2 });
    t.store.upsert({ ...a2, restarts: 1 });
    f = await rowMatches(t, 'app', /running\s+-\s+2\/2\s+-\s+\d+[smhd]\s+3 /);
    expect(rowOf(f, 'web')).toMatch(/\s0 /);
    // a later inspect after a start by hand reads the engine's count reset to 0
    t.store.upsert({ ...a1, restarts: 0 });
    await rowMatches(t, 'app', /running\s+-\s+2\/2\s+-\s+\d+[smhd]\s+1 /);
  });

  test('once everything is removed, the services of the file are still listed, as missing', async () => {
    const t = await setup();
    const f = await waitForFrame(t, (x) => /missing/.test(rowOf(x, 'db')), 'db missing');
    for (const s of ['web', 'app', 'db']) expect(rowOf(f, s)).toMatch(/missing\s+-\s+0\/\d/);
  });
});

describe('log pane', () => {
  test('shows every service with `service-n |` prefixes; Enter narrows to the selected service, a widens', async () => {
    const t = await setup({ upTo: upToStart() });
    t.store.pushLogs([
      logLine('web', 1, 'GET / 200'),
      logLine('app', 2, 'handled request 7'),
      logLine('db', 1, 'checkpoint'),
    ]);
    const f = await waitForText(t, 'logs: all services', 'checkpoint');
    expect(f).toMatch(/web\s+\| GET \/ 200/);
    expect(f).toMatch(/app-2 \| handled request 7/);
    t.stdin.write(KEY.down); // web → app
    await waitForFrame(t, selectedIs('app'), 'app selected');
    t.stdin.write(KEY.enter);
    const narrowed = await waitForText(t, 'logs: app');
    expect(narrowed).toContain('handled request 7');
    expect(narrowed).not.toContain('GET / 200');
    t.stdin.write('a');
    await waitForText(t, 'logs: all services', 'GET / 200');
  });

  test('the history read at start is merged by time across containers, not grouped by container', async () => {
    const t = await setup({ upTo: upToStart() });
    resize(t.stdout, 100, 24);
    // The feed reads each container's last lines one container after the other (as `--tail` does): web's
    // lines, then app-1's, then db's, with their times interleaved.
    const at = (i: number) => stamp(i);
    t.store.pushLogs(
      Array.from({ length: 20 }, (_, i) => logLine('web', 1, `web ${i}`, 'stdout', at(i * 3))),
    );
    t.store.pushLogs(
      Array.from({ length: 20 }, (_, i) => logLine('app', 1, `app ${i}`, 'stdout', at(i * 3 + 1))),
    );
    t.store.pushLogs(
      Array.from({ length: 20 }, (_, i) => logLine('db', 1, `db ${i}`, 'stdout', at(i * 3 + 2))),
    );
    const f = await waitForText(t, 'db 19');
    const pane = f
      .split('\n')
      .filter((l) => / \| /.test(l))
      .map((l) => l.split(' | ')[1]!.trim());
    // the latest lines of all three, in time order: not db's last lines alone
    expect(pane.length).toBeGreaterThan(6);
    expect(pane.slice(-6)).toEqual(['web 18', 'app 18', 'db 18', 'web 19', 'app 19', 'db 19']);
    // then live lines follow
    t.store.pushLogs([logLine('app', 2, 'live one', 'stdout', at(59.5))]);
    const live = await waitForText(t, 'live one');
    expect(
      live
        .split('\n')
        .filter((l) => / \| /.test(l))
        .at(-1),
    ).toContain('live one');
  });

  test('search filters lines as you type; Esc clears it', async () => {
    const t = await setup({ upTo: upToStart() });
    t.store.pushLogs([
      logLine('web', 1, 'GET /health 200'),
      logLine('app', 1, 'ERROR timeout to db'),
      logLine('db', 1, 'ok'),
    ]);
    await waitForText(t, 'GET /health 200');
    t.stdin.write('/');
    await waitForText(t, 'Enter keep · Esc clear');
    for (const ch of 'error') t.stdin.write(ch);
    let f = await waitForText(t, 'search: error');
    expect(f).toContain('ERROR timeout to db');
    expect(f).not.toContain('GET /health');
    t.stdin.write(KEY.enter);
    f = await waitForFrame(t, (x) => x.includes('q quit'), 'the normal footer');
    expect(f).toContain('search: error');
    expect(f).not.toContain('GET /health');
    t.stdin.write('/');
    await waitForText(t, 'Enter keep · Esc clear');
    t.stdin.write(KEY.escape);
    f = await waitForFrame(t, (x) => x.includes('q quit'), 'the normal footer');
    expect(f).toContain('GET /health');
    expect(f).not.toContain('search:');
  });

  test('p pauses the pane while lines keep arriving, p again catches up', async () => {
    const t = await setup({ upTo: upToStart() });
    t.store.pushLogs([logLine('app', 1, 'before pause')]);
    await waitForText(t, 'before pause');
    t.stdin.write('p');
    await waitForText(t, 'PAUSED');
    t.store.pushLogs([logLine('app', 1, 'during pause')]);
    const f = await nextFrame(t);
    expect(f).toContain('PAUSED');
    expect(f).toContain('before pause');
    expect(f).not.toContain('during pause');
    t.stdin.write('p');
    const resumed = await waitForText(t, 'during pause');
    expect(resumed).not.toContain('PAUSED');
  });

  test('escape sequences and control characters in container output do not reach the terminal', async () => {
    const t = await setup({ upTo: upToStart() });
    t.store.pushLogs([logLine('app', 1, '\u001b[2J\u001b[31mred\u001b[0m\u0007 bell')]);
    const f = await waitForText(t, 'red bell');
    expect(f).not.toContain('\u001b[2J');
  });

  test('a flood of lines is rendered in batched frames, and the buffer stays bounded', async () => {
    const t = await setup({ upTo: upToStart(), frameMs: 200 });
    await waitForText(t, 'logs: all services');
    const before = t.frames.length;
    const t0 = performance.now();
    // 2,000 lines (four times the buffer) in 20 chunks, each in a turn of the event loop of its own, as the
    // feed delivers them
    const chunks = 20;
    for (let chunk = 0; chunk < chunks; chunk++) {
      await new Promise((r) => setImmediate(r));
      for (let i = chunk * 100; i < (chunk + 1) * 100; i++)
        t.store.pushLogs([logLine('app', 1 + (i % 2), `line ${i}`)]);
    }
    await waitForText(t, 'line 1999');
    // at most a frame per 200 ms however the chunks come, plus the clock's tick each second: not a frame per
    // chunk or per line; counted against the time it took, so a slow machine makes it only easier
    const ms = performance.now() - t0;
    const frames = t.frames.length - before;
    expect(frames).toBeLessThanOrEqual(Math.floor(ms / 200) + Math.floor(ms / 1000) + 2);
    expect(frames).toBeLessThan(chunks);
    expect(t.store.logs.view(10_000).length).toBe(500);
  });
});

describe('keys', () => {
  test('j/k and arrows move the selection; r restarts and s stops the selected service; q quits', async () => {
    const t = await setup({ upTo: upToStart() });
    await waitForFrame(t, selectedIs('web'), 'web selected');
    t.stdin.write('j');
    t.stdin.write('j');
    await waitForFrame(t, selectedIs('db'), 'db selected');
    t.stdin.write('k');
    await waitForFrame(t, selectedIs('app'), 'app selected');
    t.stdin.write('r');
    await waitForText(t, 'restarting app');
    expect(t.actions.restart).toHaveBeenCalledWith('app');
    t.stdin.write(KEY.up);
    await waitForFrame(t, selectedIs('web'), 'web selected');
    t.stdin.write('s');
    await waitForText(t, 'stopping web');
    expect(t.actions.toggle).toHaveBeenCalledWith('web');
    expect(t.actions.quit).not.toHaveBeenCalled();
    t.stdin.write('q');
    await vi.waitFor(() => expect(t.actions.quit).toHaveBeenCalledTimes(1), { timeout: 10_000 });
  });

  test('keys arriving in one chunk ("jj", as a script or fast typing sends them) each count', async () => {
    const t = await setup({ upTo: upToStart() });
    await waitForFrame(t, selectedIs('web'), 'web selected');
    t.stdin.write('jj');
    await waitForFrame(t, selectedIs('db'), 'db selected');
  });

  test('s on a stopped service starts it', async () => {
    const t = await setup({ upTo: untilEvent(events, 'stop', 'shop-db-1') });
    await rowMatches(t, 'db', /exited/);
    t.stdin.write('j');
    t.stdin.write('j');
    await waitForFrame(t, selectedIs('db'), 'db selected');
    t.stdin.write('s');
    await waitForText(t, 'starting db');
    expect(t.actions.toggle).toHaveBeenCalledWith('db');
  });

  test('c lists the clients; without a switch function, Enter says how to switch', async () => {
    const t = await setup({ upTo: upToStart() });
    t.stdin.write('c');
    await waitForText(t, 'acme  (active)', 'globex');
    t.stdin.write('j');
    await waitForText(t, '› globex');
    t.stdin.write(KEY.enter);
    await waitForText(t, 'berth use globex');
  });

  test('c with a switch function switches to the chosen client', async () => {
    const switchClient = vi.fn(async () => {});
    const t = await setup({ upTo: upToStart(), actions: { switchClient } });
    t.stdin.write('c');
    await waitForText(t, 'acme  (active)');
    t.stdin.write(KEY.down);
    await waitForText(t, '› globex');
    t.stdin.write(KEY.enter);
    await waitForText(t, 'switching to client globex');
    expect(switchClient, t.lastFrame()).toHaveBeenCalledWith('globex');
  });

  test('Ctrl-C quits too (attached up stops the stack there and shows progress)', async () => {
    const t = await setup({ upTo: upToStart() });
    t.stdin.write('\u0003');
    await vi.waitFor(() => expect(t.actions.quit).toHaveBeenCalled(), { timeout: 10_000 });
    t.store.addProgress('Container shop-app-1  Stopped');
    const f = await waitForText(t, 'stopping the stack');
    expect(f).toContain('Container shop-app-1  Stopped');
  });
});

describe('status line', () => {
  test('a message clears by itself a few seconds (statusMs) after its action finished', async () => {
    let finish!: () => void;
    const restart = vi.fn(() => new Promise<void>((r) => (finish = r)));
    const t = await setup({ upTo: upToStart(), actions: { restart }, statusMs: 300 });
    t.stdin.write('r');
    await waitForText(t, 'restarting web…');
    // under way, the message stays, however long the action takes and whatever key is pressed
    t.stdin.write('j');
    const moved = await waitForFrame(t, selectedIs('app'), 'app selected');
    expect(moved).toContain('restarting web…');
    finish();
    await waitForText(t, 'restarting web: done');
    await waitForFrame(t, (f) => !f.includes('restarting web'), 'the status line to clear');
  });

  test('the next key clears a message', async () => {
    const t = await setup({ upTo: upToStart(), actions: { clients: async () => ({ names: [] }) } });
    t.stdin.write('c');
    await waitForText(t, 'this stack has no clients');
    t.stdin.write('j');
    const f = await waitForFrame(t, selectedIs('app'), 'app selected');
    expect(f).not.toContain('this stack has no clients');
  });
});

describe('size and colour', () => {
  test('fits 80×24 and adapts when the terminal is resized', async () => {
    const t = await setup({ upTo: upToStart() });
    for (let i = 0; i < 100; i++)
      t.store.pushLogs([logLine('app', 1, `a long log line number ${i} `.repeat(8))]);
    resize(t.stdout, 80, 24);
    let f = await waitForFrame(
      t,
      (x) => x.includes('number 99') && !x.includes('s stop/start ·'),
      '80 columns',
    );
    let lines = f.split('\n');
    expect(lines.length).toBeLessThanOrEqual(24);
    for (const l of lines) expect(stringWidth(l)).toBeLessThanOrEqual(80);
    expect(f).toContain('q quit');
    for (const s of ['web', 'app', 'db']) expect(rowOf(f, s)).not.toBe('');
    resize(t.stdout, 140, 40);
    f = await waitForFrame(t, (x) => x.split('\n').length > 24, '40 rows');
    lines = f.split('\n');
    expect(lines.length).toBeLessThanOrEqual(40);
    expect(Math.max(...lines.map((l) => stringWidth(l)))).toBeGreaterThan(80);
  });

  test('many services scroll in the table and the selection stays visible', async () => {
    const t = await setup({ upTo: 0 });
    t.store.reset(
      Array.from({ length: 60 }, (_, i) => ({
        id: `c${i}`,
        name: `shop-svc${i}-1`,
        service: `svc${String(i).padStart(2, '0')}`,
        replica: 1,
        state: 'running',
        restarts: 0,
        image: 'berth/busybox:latest',
        ports: [],
        startedAt: Date.now(),
      })),
      undefined,
      [],
    );
    resize(t.stdout, 80, 24);
    await waitForText(t, '60 services');
    t.stdin.write('j'.repeat(40));
    const f = await waitForFrame(t, selectedIs('svc40'), 'svc40 selected and visible');
    expect(f.split('\n').length).toBeLessThanOrEqual(24);
  });

  test('colour only when asked: with NO_COLOR (color=false) no escape codes; with colour, service colours', async () => {
    const plain = await setup({ upTo: upToStart() });
    plain.store.pushLogs([logLine('app', 1, 'hello')]);
    expect(await waitForText(plain, 'hello')).not.toContain('\u001b[');
    plain.unmount();
    // ink colours through chalk, which sees no terminal under vitest: give it one level, as a terminal would.
    const { default: chalk } = await import('chalk');
    const level = chalk.level;
    chalk.level = 1;
    try {
      const coloured = await setup({ color: true, upTo: upToStart() });
      coloured.store.pushLogs([logLine('app', 1, 'hello')]);
      const frame = await waitForText(coloured, 'hello');
      // the service's colour on its log prefix, the same on its row in the table; states coloured too
      const sgr = '\u001b\\['; // the start of a colour code, as a pattern
      const code = new RegExp(`${sgr}(3\\d)mapp-1 \\|`).exec(frame)?.[1];
      expect(code, frame).toBeDefined();
      expect(frame).toMatch(new RegExp(`^[ ›] ${sgr}${code}mapp `, 'm'));
      expect(rowOf(frame, `${sgr}\\d+mapp`)).toContain('\u001b[32mrunning');
    } finally {
      chalk.level = level;
    }
  });
});
