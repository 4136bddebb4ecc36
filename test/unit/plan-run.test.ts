// The executor's pure helpers: dependency edges with their conditions, and the plain progress lines.
import { describe, expect, test } from 'vitest';
import { buildGraph } from '../../src/graph/index.js';
import { dependencyEdges } from '../../src/graph/deps.js';
import { formatEvent } from '../../src/executor/render.js';
import { dependentsMap } from '../../src/executor/stop.js';
import { completedSuccessfully, healthy, ready } from '../../src/executor/wait.js';
import { container, service, stack } from './stack-factory.js';

describe('dependency edges', () => {
  test('depends_on keeps its condition; volumes_from and network_mode are started-edges that share a namespace', () => {
    const s = stack([
      service('db'),
      service('app', {
        depends_on: { db: { condition: 'service_healthy', required: false, restart: false } },
        volumes_from: ['data'],
      }),
      service('data'),
      service('sidecar', { network_mode: 'service:app', networks: {} }),
    ]);
    const edges = dependencyEdges(s, buildGraph(s));
    expect(edges.get('app')).toEqual([
      { dep: 'db', condition: 'service_healthy', required: false, sharesNamespace: false },
      { dep: 'data', condition: 'service_started', required: true, sharesNamespace: true },
    ]);
    expect(edges.get('sidecar')).toEqual([
      { dep: 'app', condition: 'service_started', required: true, sharesNamespace: true },
    ]);
  });

  test('stop order: dependents of each present service', () => {
    const s = stack([
      service('db'),
      service('app', {
        depends_on: { db: { condition: 'service_started', required: true, restart: false } },
      }),
    ]);
    const m = dependentsMap(buildGraph(s), new Set(['db', 'app']));
    expect(m.get('db')).toEqual(['app']);
    expect(m.get('app')).toEqual([]);
    expect(dependentsMap(undefined, new Set(['x'])).get('x')).toEqual([]);
  });
});

describe('wait verdicts', () => {
  const st = (o: Partial<Parameters<typeof healthy>[0] & object>): Parameters<typeof healthy>[0] => ({
    ...container({ service: 'app', replica: 1 }),
    restarts: 0,
    tty: false,
    running: true,
    status: 'running',
    exitCode: 0,
    hasHealthcheck: true,
    restarting: false,
    ...o,
  });
  test('healthy', () => {
    expect(healthy(st({ health: 'healthy' }))).toBe('ok');
    expect(healthy(st({ health: 'starting' }))).toBe('wait');
    expect(healthy(st({ health: 'unhealthy' }))).toBe('fail');
    expect(healthy(st({ running: false, status: 'exited', exitCode: 1 }))).toBe('fail');
    expect(healthy(undefined)).toBe('fail');
  });
  test('completed successfully', () => {
    expect(completedSuccessfully(st({}))).toBe('wait');
    expect(completedSuccessfully(st({ running: false, status: 'exited' }))).toBe('ok');
    expect(completedSuccessfully(st({ running: false, status: 'exited', exitCode: 2 }))).toBe('fail');
  });
  test('ready for --wait: healthy with a healthcheck, running without', () => {
    expect(ready(st({ hasHealthcheck: false }))).toBe('ok');
    expect(ready(st({ health: 'starting' }))).toBe('wait');
  });
});

describe('plain progress lines', () => {
  test('finished steps print like docker compose, in-progress ones only when verbose', () => {
    expect(
      formatEvent(
        {
          type: 'progress',
          kind: 'Container',
          name: 'demo-db-1',
          status: 'Started',
          done: true,
          elapsedMs: 412,
        },
        false,
      ),
    ).toBe('✔ Container demo-db-1  Started  0.4s');
    expect(
      formatEvent(
        { type: 'progress', kind: 'Container', name: 'demo-db-1', status: 'Starting', done: false },
        false,
      ),
    ).toBeUndefined();
    expect(
      formatEvent(
        { type: 'progress', kind: 'Container', name: 'demo-db-1', status: 'Starting', done: false },
        false,
        true,
      ),
    ).toBe('⠿ Container demo-db-1  Starting');
  });
  test('a failure names the service and shows its last log lines', () => {
    const text = formatEvent(
      {
        type: 'failure',
        service: 'db',
        container: 'demo-db-1',
        message: 'service "db" is unhealthy (demo-db-1)',
        logs: ['a', 'b'],
      },
      false,
    );
    expect(text).toBe(
      '✘ service "db" is unhealthy (demo-db-1)\n  last log lines of demo-db-1:\n    a\n    b',
    );
  });
  test('colour only when asked', () => {
    const line = formatEvent(
      { type: 'progress', kind: 'Network', name: 'n', status: 'Created', done: true },
      true,
    )!;
    expect(line).toContain('\x1b[32m✔\x1b[0m');
  });
});

describe('terminal progress', () => {
  test('rewrites each resource’s line in place and prints messages above the live block', async () => {
    const { ttyRenderer } = await import('../../src/executor/render.js');
    let out = '';
    const r = ttyRenderer({ color: false, write: (s) => (out += s) });
    r({ type: 'progress', kind: 'Container', name: 'a', status: 'Starting', done: false });
    r({ type: 'progress', kind: 'Container', name: 'b', status: 'Starting', done: false });
    r({ type: 'progress', kind: 'Container', name: 'a', status: 'Started', done: true, elapsedMs: 300 });
    r({ type: 'warning', message: 'careful' });
    // the last frame: the message, then both live lines with a's final state
    const lastFrame = out.slice(out.lastIndexOf('\x1b[0J') + 4);
    expect(lastFrame).toBe('! careful\n✔ Container a  Started  0.3s\n⠿ Container b  Starting\n');
    expect(out).toContain('\x1b[2A\x1b[0J');
  });
});

test('a live block taller than the terminal falls back to plain lines', async () => {
  const { ttyRenderer } = await import('../../src/executor/render.js');
  let out = '';
  const r = ttyRenderer({ color: false, rows: 4, write: (s) => (out += s) });
  for (const n of ['a', 'b', 'c', 'd'])
    r({ type: 'progress', kind: 'Container', name: n, status: 'Started', done: true, elapsedMs: 100 });
  expect(out.endsWith('✔ Container c  Started  0.1s\n✔ Container d  Started  0.1s\n')).toBe(true);
});
