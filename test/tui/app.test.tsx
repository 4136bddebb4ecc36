import { render } from 'ink-testing-library';
import stringWidth from 'string-width';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { App, type UiActions } from '../../src/tui/App.js';
import { UiStore } from '../../src/tui/store.js';
import { KEY, logLine, recordedEvents, resize, tick, untilEvent } from './helpers.js';

const events = recordedEvents();
const stackServices = [
  { name: 'web', replicas: 1, image: 'berth/busybox:latest' },
  { name: 'app', replicas: 2, image: 'berth/busybox:latest' },
  { name: 'db', replicas: 1, image: 'berth/busybox:latest' },
];

function setup(opts: { color?: boolean; upTo?: number; actions?: Partial<UiActions> } = {}) {
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
  const r = render(<App store={store} actions={actions} color={opts.color ?? false} frameMs={5} />);
  resize(r.stdout, 100, 30);
  return { store, actions, ...r };
}

const rowOf = (frame: string, service: string) =>
  frame.split('\n').find((l) => new RegExp(`^[ ›] ${service} `).test(l)) ?? '';

let cleanup: (() => void) | undefined;
afterEach(() => cleanup?.());

describe('service table from recorded engine events', () => {
  test('every service appears with its state, replicas and image once the containers start', async () => {
    const t = setup({ upTo: untilEvent(events, 'start', 'shop-web-1') });
    cleanup = t.unmount;
    await tick();
    const f = t.lastFrame()!;
    expect(f).toContain('berth  stack shop  project shop  client acme  engine docker 20.10.24');
    // no health yet: the engine reports it with the first health_status event
    expect(rowOf(f, 'web')).toMatch(/running\s+-\s+1\/1/);
    expect(rowOf(f, 'app')).toMatch(/running\s+-\s+2\/2/);
    expect(rowOf(f, 'db')).toMatch(/running\s+-\s+1\/1/);
    expect(rowOf(f, 'app')).toContain('berth/busybox');
  });

  test('a health check, a restart and a stop show up as they happen', async () => {
    const t = setup({ upTo: untilEvent(events, 'health_status: healthy', 'shop-web-1') });
    cleanup = t.unmount;
    await tick();
    expect(rowOf(t.lastFrame()!, 'web')).toMatch(/running\s+healthy/);
    for (const e of events.slice(
      untilEvent(events, 'health_status: healthy', 'shop-web-1'),
      untilEvent(events, 'die', 'shop-app-1'),
    ))
      t.store.event(e);
    await tick();
    expect(rowOf(t.lastFrame()!, 'app')).toMatch(/partial\s+-\s+1\/2/);
    for (const e of events.slice(
      untilEvent(events, 'die', 'shop-app-1'),
      untilEvent(events, 'restart', 'shop-app-1'),
    ))
      t.store.event(e);
    await tick();
    // restarts column: 1 for app
    expect(rowOf(t.lastFrame()!, 'app')).toMatch(/running\s+-\s+2\/2\s+-\s+\d+[smhd]\s+1 /);
    for (const e of events.slice(
      untilEvent(events, 'restart', 'shop-app-1'),
      untilEvent(events, 'stop', 'shop-db-1'),
    ))
      t.store.event(e);
    await tick();
    expect(rowOf(t.lastFrame()!, 'db')).toMatch(/exited\s+-\s+0\/1/);
  });

  test('once everything is removed, the services of the file are still listed, as missing', async () => {
    const t = setup();
    cleanup = t.unmount;
    await tick();
    for (const s of ['web', 'app', 'db']) expect(rowOf(t.lastFrame()!, s)).toMatch(/missing\s+-\s+0\/\d/);
  });
});

describe('log pane', () => {
  test('shows every service with `service-n |` prefixes; Enter narrows to the selected service, a widens', async () => {
    const t = setup({ upTo: untilEvent(events, 'start', 'shop-web-1') });
    cleanup = t.unmount;
    t.store.pushLogs([
      logLine('web', 1, 'GET / 200'),
      logLine('app', 2, 'handled request 7'),
      logLine('db', 1, 'checkpoint'),
    ]);
    await tick();
    let f = t.lastFrame()!;
    expect(f).toContain('logs: all services');
    expect(f).toMatch(/web\s+\| GET \/ 200/);
    expect(f).toMatch(/app-2 \| handled request 7/);
    t.stdin.write(KEY.down); // web → app
    await tick();
    t.stdin.write(KEY.enter);
    await tick();
    f = t.lastFrame()!;
    expect(f).toContain('logs: app');
    expect(f).toContain('handled request 7');
    expect(f).not.toContain('GET / 200');
    t.stdin.write('a');
    await tick();
    expect(t.lastFrame()).toContain('GET / 200');
  });

  test('search filters lines as you type; Esc clears it', async () => {
    const t = setup({ upTo: untilEvent(events, 'start', 'shop-web-1') });
    cleanup = t.unmount;
    t.store.pushLogs([
      logLine('web', 1, 'GET /health 200'),
      logLine('app', 1, 'ERROR timeout to db'),
      logLine('db', 1, 'ok'),
    ]);
    await tick();
    t.stdin.write('/');
    await tick();
    for (const ch of 'error') t.stdin.write(ch);
    await tick();
    let f = t.lastFrame()!;
    expect(f).toContain('search: error');
    expect(f).toContain('ERROR timeout to db');
    expect(f).not.toContain('GET /health');
    t.stdin.write(KEY.enter);
    await tick();
    expect(t.lastFrame()).not.toContain('GET /health');
    t.stdin.write('/');
    await tick();
    t.stdin.write(KEY.escape);
    await tick(80);
    f = t.lastFrame()!;
    expect(f).toContain('GET /health');
    expect(f).not.toContain('search:');
  });

  test('p pauses the pane while lines keep arriving, p again catches up', async () => {
    const t = setup({ upTo: untilEvent(events, 'start', 'shop-web-1') });
    cleanup = t.unmount;
    t.store.pushLogs([logLine('app', 1, 'before pause')]);
    await tick();
    t.stdin.write('p');
    await tick();
    t.store.pushLogs([logLine('app', 1, 'during pause')]);
    await tick();
    expect(t.lastFrame()).toContain('PAUSED');
    expect(t.lastFrame()).not.toContain('during pause');
    t.stdin.write('p');
    await tick();
    expect(t.lastFrame()).toContain('during pause');
  });

  test('escape sequences and control characters in container output do not reach the terminal', async () => {
    const t = setup({ upTo: untilEvent(events, 'start', 'shop-web-1') });
    cleanup = t.unmount;
    t.store.pushLogs([logLine('app', 1, '\u001b[2J\u001b[31mred\u001b[0m\u0007 bell')]);
    await tick();
    expect(t.lastFrame()).toContain('red bell');
    expect(t.lastFrame()).not.toContain('\u001b[2J');
  });

  test('a flood of lines is rendered in a few batched frames, and the buffer stays bounded', async () => {
    const t = setup({ upTo: untilEvent(events, 'start', 'shop-web-1') });
    cleanup = t.unmount;
    await tick();
    const before = t.frames.length;
    for (let i = 0; i < 10_000; i++) t.store.pushLogs([logLine('app', 1 + (i % 2), `line ${i}`)]);
    await tick(60);
    expect(t.frames.length - before).toBeLessThan(5);
    expect(t.lastFrame()).toContain('line 9999');
    expect(t.store.logs.view(10_000).length).toBe(500);
  });
});

describe('keys', () => {
  test('j/k and arrows move the selection; r restarts and s stops the selected service; q quits', async () => {
    const t = setup({ upTo: untilEvent(events, 'start', 'shop-web-1') });
    cleanup = t.unmount;
    await tick();
    expect(rowOf(t.lastFrame()!, 'web').startsWith('›')).toBe(true);
    t.stdin.write('j');
    await tick();
    t.stdin.write('j');
    await tick();
    expect(rowOf(t.lastFrame()!, 'db').startsWith('›')).toBe(true);
    t.stdin.write('k');
    await tick();
    t.stdin.write('r');
    await tick();
    expect(t.actions.restart).toHaveBeenCalledWith('app');
    expect(t.lastFrame()).toContain('restarting app');
    t.stdin.write(KEY.up);
    await tick();
    t.stdin.write('s');
    await tick();
    expect(t.actions.toggle).toHaveBeenCalledWith('web');
    expect(t.lastFrame()).toContain('stopping web');
    t.stdin.write('q');
    await tick();
    expect(t.actions.quit).toHaveBeenCalledTimes(1);
  });

  test('keys arriving in one chunk ("jj", as a script or fast typing sends them) each count', async () => {
    const t = setup({ upTo: untilEvent(events, 'start', 'shop-web-1') });
    cleanup = t.unmount;
    await tick();
    t.stdin.write('jj');
    await tick();
    expect(rowOf(t.lastFrame()!, 'db').startsWith('›')).toBe(true);
  });

  test('s on a stopped service starts it', async () => {
    const t = setup({ upTo: untilEvent(events, 'stop', 'shop-db-1') });
    cleanup = t.unmount;
    await tick();
    t.stdin.write('j');
    t.stdin.write('j');
    await tick();
    t.stdin.write('s');
    await tick();
    expect(t.actions.toggle).toHaveBeenCalledWith('db');
    expect(t.lastFrame()).toContain('starting db');
  });

  test('c lists the clients; without a switch function, Enter says how to switch', async () => {
    const t = setup({ upTo: untilEvent(events, 'start', 'shop-web-1') });
    cleanup = t.unmount;
    await tick();
    t.stdin.write('c');
    await tick();
    let f = t.lastFrame()!;
    expect(f).toContain('acme  (active)');
    expect(f).toContain('globex');
    t.stdin.write('j');
    await tick();
    t.stdin.write(KEY.enter);
    await tick();
    f = t.lastFrame()!;
    expect(f).toContain('berth use globex');
  });

  test('c with a switch function switches to the chosen client', async () => {
    const switchClient = vi.fn(async () => {});
    const t = setup({ upTo: untilEvent(events, 'start', 'shop-web-1'), actions: { switchClient } });
    cleanup = t.unmount;
    await tick();
    t.stdin.write('c');
    await tick();
    t.stdin.write(KEY.down);
    await tick();
    t.stdin.write(KEY.enter);
    await tick();
    expect(switchClient, t.lastFrame()).toHaveBeenCalledWith('globex');
  });

  test('Ctrl-C quits too (attached up stops the stack there and shows progress)', async () => {
    const t = setup({ upTo: untilEvent(events, 'start', 'shop-web-1') });
    cleanup = t.unmount;
    await tick();
    t.stdin.write('\u0003');
    await tick();
    expect(t.actions.quit).toHaveBeenCalled();
    t.store.addProgress('Container shop-app-1  Stopped');
    await tick();
    expect(t.lastFrame()).toContain('stopping the stack');
    expect(t.lastFrame()).toContain('Container shop-app-1  Stopped');
  });
});

describe('size and colour', () => {
  test('fits 80×24 and adapts when the terminal is resized', async () => {
    const t = setup({ upTo: untilEvent(events, 'start', 'shop-web-1') });
    cleanup = t.unmount;
    for (let i = 0; i < 100; i++)
      t.store.pushLogs([logLine('app', 1, `a long log line number ${i} `.repeat(8))]);
    resize(t.stdout, 80, 24);
    await tick();
    let lines = t.lastFrame()!.split('\n');
    expect(lines.length).toBeLessThanOrEqual(24);
    for (const l of lines) expect(stringWidth(l)).toBeLessThanOrEqual(80);
    expect(t.lastFrame()).toContain('q quit');
    for (const s of ['web', 'app', 'db']) expect(rowOf(t.lastFrame()!, s)).not.toBe('');
    resize(t.stdout, 140, 40);
    await tick();
    lines = t.lastFrame()!.split('\n');
    expect(lines.length).toBeGreaterThan(24);
    expect(lines.length).toBeLessThanOrEqual(40);
    expect(Math.max(...lines.map((l) => stringWidth(l)))).toBeGreaterThan(80);
  });

  test('many services scroll in the table and the selection stays visible', async () => {
    const t = setup({ upTo: 0 });
    cleanup = t.unmount;
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
    await tick();
    for (let i = 0; i < 40; i++) t.stdin.write('j');
    await tick();
    const f = t.lastFrame()!;
    expect(f.split('\n').length).toBeLessThanOrEqual(24);
    expect(rowOf(f, 'svc40').startsWith('›'), f).toBe(true);
  });

  test('colour only when asked: with NO_COLOR (color=false) no escape codes; with colour, service colours', async () => {
    const plain = setup({ upTo: untilEvent(events, 'start', 'shop-web-1') });
    plain.store.pushLogs([logLine('app', 1, 'hello')]);
    await tick();
    expect(plain.lastFrame()).not.toContain('\u001b[');
    plain.unmount();
    // ink colours through chalk, which sees no terminal under vitest: give it one level, as a terminal would.
    const { default: chalk } = await import('chalk');
    const level = chalk.level;
    chalk.level = 1;
    const coloured = setup({ color: true, upTo: untilEvent(events, 'start', 'shop-web-1') });
    cleanup = coloured.unmount;
    coloured.store.pushLogs([logLine('app', 1, 'hello')]);
    await tick();
    const frame = coloured.lastFrame()!;
    chalk.level = level;
    expect(frame).toContain('\u001b[3');
  });
});
