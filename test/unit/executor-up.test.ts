// The executor's dependency handling, on the fake engine with the real planner: each condition of depends_on,
// `required: false`, starting a dependent as soon as its own dependencies are ready, and what a failure does to
// the rest of the stack.
import { describe, expect, test } from 'vitest';
import type { Healthcheck } from '../../src/model/stack.js';
import {
  eventIndex,
  failuresOf,
  fakeEngines,
  on,
  problems,
  skippedOf,
  svc,
  up,
  warningsOf,
} from '../support/executor-harness.js';
import { MUTATING } from '../support/fake-engine.js';
import { stack } from './stack-factory.js';

const fake = fakeEngines();

const hc = (intervalMs = 1000, over: Partial<Healthcheck> = {}): Healthcheck => ({
  test: ['CMD', 'ready'],
  intervalMs,
  retries: 3,
  disable: false,
  ...over,
});

describe('dependency conditions', () => {
  test('service_started: the dependent starts once the dependency started, healthy or not', async () => {
    const f = fake({ autoClock: false }); // no health check ever runs
    const s = stack([svc('db', {}, { healthcheck: hc() }), svc('app', { db: on('service_started') })]);
    const { result } = await up(f, s);
    expect(result).toMatchObject({ ok: true, interrupted: false });
    expect(f.get('demo-db-1')!.health).toBe('starting');
    expect(eventIndex(f.events, 'demo-app-1', 'start')).toBeGreaterThan(
      eventIndex(f.events, 'demo-db-1', 'start'),
    );
    expect(problems(f, s)).toEqual([]);
  });

  test('service_healthy: the dependent starts only after the dependency reported healthy', async () => {
    const f = fake();
    f.behave('db', { healthyAfter: 3 });
    const s = stack([svc('db', {}, { healthcheck: hc() }), svc('app', { db: on('service_healthy') })]);
    const { result, events } = await up(f, s);
    expect(result.ok).toBe(true);
    const healthy = eventIndex(f.events, 'demo-db-1', 'health_status: healthy');
    expect(healthy).toBeGreaterThan(-1);
    expect(eventIndex(f.events, 'demo-app-1', 'create')).toBeLessThan(healthy); // created early, started late
    expect(eventIndex(f.events, 'demo-app-1', 'start')).toBeGreaterThan(healthy);
    expect(events).toContainEqual(
      expect.objectContaining({ name: 'demo-db-1', status: 'Healthy', done: true }),
    );
  });

  test('service_healthy on an unhealthy dependency: it fails, the dependent is skipped', async () => {
    const f = fake();
    f.behave('db', { healthyAfter: Number.POSITIVE_INFINITY });
    const s = stack([svc('db', {}, { healthcheck: hc() }), svc('app', { db: on('service_healthy') })]);
    const { result, events } = await up(f, s);
    expect(result.ok).toBe(false);
    expect(failuresOf(events)).toEqual([
      { service: 'db', message: 'service "db" is unhealthy (demo-db-1)', logs: [] },
    ]);
    expect(skippedOf(events)).toEqual([{ service: 'app', reason: 'dependency "db" failed' }]);
    expect(f.get('demo-app-1')!.state).toBe('created');
  });

  test('service_healthy without a healthcheck says so', async () => {
    const f = fake();
    const s = stack([svc('db'), svc('app', { db: on('service_healthy') })]);
    const { events } = await up(f, s);
    expect(failuresOf(events).map((x) => x.message)).toEqual([
      'service "db" has no healthcheck, but a dependency waits for it to be healthy',
    ]);
  });

  test('service_completed_successfully: the dependent starts after the job exited 0', async () => {
    const f = fake();
    f.behave('migrate', { exitCode: 0, exitAfterMs: 5000 });
    const s = stack([svc('migrate'), svc('app', { migrate: on('service_completed_successfully') })]);
    const { result } = await up(f, s);
    expect(result.ok).toBe(true);
    const died = eventIndex(f.events, 'demo-migrate-1', 'die');
    expect(died).toBeGreaterThan(-1);
    expect(eventIndex(f.events, 'demo-app-1', 'start')).toBeGreaterThan(died);
    expect(f.get('demo-migrate-1')).toMatchObject({ state: 'exited', exitCode: 0 });
  });

  test('service_completed_successfully on a job that fails: its exit code and last log lines', async () => {
    const f = fake();
    const lines = Array.from({ length: 12 }, (_, i) => `migration step ${i + 1}`);
    f.behave('migrate', { exitCode: 2, logsOnStart: lines, logsOnExit: ['ERROR: relation "x" exists'] });
    const s = stack([svc('migrate'), svc('app', { migrate: on('service_completed_successfully') })]);
    const { result, events } = await up(f, s);
    expect(result.ok).toBe(false);
    expect(result.failures).toEqual([
      {
        service: 'migrate',
        container: 'demo-migrate-1',
        message: 'service "migrate" exited with code 2 (demo-migrate-1)',
        logs: [...lines.slice(-9), 'ERROR: relation "x" exists'],
      },
    ]);
    expect(skippedOf(events)).toEqual([{ service: 'app', reason: 'dependency "migrate" failed' }]);
  });

  test('required: false only warns: the dependent starts anyway', async () => {
    const f = fake();
    f.behave('metrics', { startFails: 'exec: "agent": executable file not found in $PATH' });
    const s = stack([svc('metrics'), svc('app', { metrics: on('service_started', { required: false }) })]);
    const { result, events } = await up(f, s);
    expect(result.failures.map((x) => x.service)).toEqual(['metrics']);
    expect(warningsOf(events)).toEqual([
      'service "app": optional dependency "metrics" did not meet service_started; starting anyway',
    ]);
    expect(skippedOf(events)).toEqual([]);
    expect(f.get('demo-app-1')!.state).toBe('running');
  });
});

describe('scheduling', () => {
  test('a dependent starts as soon as its own dependencies are ready, not when its level is', async () => {
    // slow and fast are one level; a waits for fast, b for slow, c for a. With a level barrier, a would wait
    // for slow too. The clock is manual: slow cannot become healthy before the test lets it.
    const f = fake({ autoClock: false });
    const s = stack([
      svc('slow', {}, { healthcheck: hc(10_000) }),
      svc('fast', {}, { healthcheck: hc(1_000) }),
      svc('a', { fast: on('service_healthy') }),
      svc('b', { slow: on('service_healthy') }),
      svc('c', { a: on('service_started') }),
    ]);
    const running = up(f, s);
    await f.when(
      (x) => x.get('demo-slow-1')?.state === 'running' && x.get('demo-fast-1')?.state === 'running',
    );
    f.advance(1_000);
    await f.when((x) => x.get('demo-c-1')?.state === 'running', 'c to start while slow is still starting');
    expect(f.get('demo-slow-1')!.health).toBe('starting');
    expect(f.get('demo-b-1')!.state).toBe('created');
    f.advance(9_000);
    const { result } = await running;
    expect(result.ok).toBe(true);
    expect(problems(f, s)).toEqual([]);
  });

  test('containers are created before their dependencies are ready; only the start waits', async () => {
    const f = fake({ autoClock: false });
    const s = stack([
      svc('db', {}, { healthcheck: hc() }),
      svc('app', { db: on('service_healthy') }, { replicas: 3 }),
    ]);
    const running = up(f, s);
    await f.when((x) =>
      ['demo-app-1', 'demo-app-2', 'demo-app-3'].every((n) => x.get(n)?.state === 'created'),
    );
    expect(f.get('demo-db-1')!.health).not.toBe('healthy');
    await f.when((x) => x.get('demo-db-1')?.state === 'running');
    f.advance(1000);
    expect((await running).result.ok).toBe(true);
    expect(problems(f, s)).toEqual([]);
  });

  test('never more engine calls in flight than the concurrency, and the bound is used', async () => {
    const f = fake();
    f.latency = 1;
    const names = Array.from({ length: 12 }, (_, i) => `s${i}`);
    const s = stack([
      ...names.map((n) => svc(n)),
      svc('app', Object.fromEntries(names.map((n) => [n, on('service_started')]))),
    ]);
    const { result } = await up(f, s, { concurrency: 3 });
    expect(result.ok).toBe(true);
    expect(f.maxInFlight(MUTATING)).toBe(3);
    expect(problems(f, s)).toEqual([]);
    const startApp = f.callsOf(['startContainer']).find((c) => c.service === 'app')!;
    expect(
      f
        .callsOf(['startContainer'])
        .filter((c) => c.service !== 'app')
        .every((c) => c.endedAt! < startApp.startedAt),
    ).toBe(true);
  });

  test('a start_interval the engine ignores is probed by berth itself through check()', async () => {
    // API 1.41 engines run the first check one full interval after start; berth runs it at start_interval
    const f = fake({ autoClock: false, apiVersion: '1.41' });
    const s = stack([
      svc('db', {}, { healthcheck: hc(3_600_000, { startIntervalMs: 10, startPeriodMs: 60_000 }) }),
      svc('app', { db: on('service_healthy') }),
    ]);
    f.behave('db', { check: (cmd) => cmd.join(' ') === 'ready' });
    const { result } = await up(f, s);
    expect(result.ok).toBe(true);
    expect(f.get('demo-app-1')!.state).toBe('running');
    expect(f.callsOf(['check']).length).toBeGreaterThan(0);
  });
});

describe('failures', () => {
  test('a failing service is reported with its last log lines; dependents are skipped, the rest starts', async () => {
    const f = fake();
    f.behave('db', {
      exitCode: 1,
      exitAfterMs: 10,
      logsOnStart: ['starting postgres'],
      logsOnExit: ['FATAL: data directory has wrong ownership'],
    });
    const s = stack([
      svc('db', {}, { healthcheck: hc() }),
      svc('cache'),
      svc('app', { db: on('service_healthy'), cache: on('service_started') }),
      svc('web', { app: on('service_started') }),
      svc('docs'),
    ]);
    const { result, events } = await up(f, s);
    expect(result).toMatchObject({ ok: false, interrupted: false });
    expect(result.failures).toEqual([
      {
        service: 'db',
        container: 'demo-db-1',
        message: 'service "db" exited with code 1 (demo-db-1)',
        logs: ['starting postgres', 'FATAL: data directory has wrong ownership'],
      },
    ]);
    expect(skippedOf(events)).toEqual([
      { service: 'app', reason: 'dependency "db" failed' },
      { service: 'web', reason: 'dependency "app" was not started' },
    ]);
    expect(f.get('demo-cache-1')!.state).toBe('running');
    expect(f.get('demo-docs-1')!.state).toBe('running');
    expect(f.get('demo-web-1')!.state).toBe('created');
    expect(result.containers).toMatchObject({ app: [], web: [], cache: [f.get('demo-cache-1')!.id] });
  });

  test('a start the engine refuses: the engine’s words, the container’s log, dependents skipped', async () => {
    const f = fake();
    f.behave('app', { startFails: 'exec: "/srv/run": permission denied' });
    const s = stack([svc('app'), svc('web', { app: on('service_started') })]);
    const { result, events } = await up(f, s);
    expect(result.failures).toEqual([
      {
        service: 'app',
        container: 'demo-app-1',
        message: 'service "app" failed to start: exec: "/srv/run": permission denied',
        logs: [],
      },
    ]);
    expect(events).toContainEqual(
      expect.objectContaining({ name: 'demo-app-1', status: 'Error', done: true }),
    );
    expect(skippedOf(events)).toEqual([{ service: 'web', reason: 'dependency "app" was not started' }]);
  });

  test('an engine error on create is reported per service and the next up converges', async () => {
    const { EngineError } = await import('../../src/engine/errors.js');
    const f = fake();
    f.failNext('createContainer', 'app', new EngineError('failed', 'no space left on device', 500));
    const s = stack([
      svc('db'),
      svc('app', { db: on('service_started') }),
      svc('web', { app: on('service_started') }),
    ]);
    const first = await up(f, s);
    expect(first.result.failures.map((x) => [x.service, x.message])).toEqual([
      ['app', 'service "app" failed to start: no space left on device'],
    ]);
    expect(skippedOf(first.events)).toEqual([{ service: 'web', reason: 'dependency "app" was not started' }]);
    const second = await up(f, s);
    expect(second.result.ok).toBe(true);
    expect(problems(f, s)).toEqual([]);
  });

  test('--wait: ok only once every service is running and healthy', async () => {
    const f = fake();
    f.behave('db', { healthyAfter: 4 });
    const s = stack([svc('db', {}, { healthcheck: hc() }), svc('app')]);
    const { result } = await up(f, s, { wait: true });
    expect(result.ok).toBe(true);
    expect(f.get('demo-db-1')!.health).toBe('healthy');

    const g = fake();
    g.behave('db', { healthyAfter: Number.POSITIVE_INFINITY });
    const bad = await up(g, s, { wait: true });
    expect(bad.result.ok).toBe(false);
    expect(bad.result.failures.map((x) => x.message)).toEqual(['service "db" is unhealthy (demo-db-1)']);
  });
});
