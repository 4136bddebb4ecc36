// Compose's create/up/scale flags on the fake engine: --no-start (and `create`) make containers and start
// none, a later up or start starts them; --pull overrides every pull_policy; -t reaches the stops a run makes;
// --always-recreate-deps recreates only the dependencies; scale is --scale with --no-recreate.
import { describe, expect, test } from 'vitest';
import { attachOptions, dependenciesOf, parsePull, parseTimeout } from '../../src/cli/up.js';
import { parseScaleArgs } from '../../src/cli/scale.js';
import type { RunEvent } from '../../src/executor/events.js';
import { start } from '../../src/ops/lifecycle.js';
import { up, withoutStarts } from '../../src/ops/up.js';
import type { Plan } from '../../src/plan/types.js';
import { fakeEngines, on, svc } from '../support/executor-harness.js';
import { container, stack } from './stack-factory.js';

const fake = fakeEngines();

function engine() {
  const f = fake();
  f.addImage('berth/busybox:latest');
  return f;
}

const demo = () => stack([svc('db'), svc('app', { db: on('service_started') }, { replicas: 2 })]);

const states = (f: ReturnType<typeof engine>) =>
  Object.fromEntries(
    f
      .list()
      .map((c) => [c.name, c.state] as const)
      .sort(),
  );

describe('up --no-start / create', () => {
  test('creates networks and containers, starts nothing; a later up starts the same containers', async () => {
    const f = engine();
    const s = demo();
    const created = await up({ engine: f }, s, { noStart: true });
    expect(created.result?.ok).toBe(true);
    expect(states(f)).toEqual({ 'demo-app-1': 'created', 'demo-app-2': 'created', 'demo-db-1': 'created' });
    expect(f.callsOf(['startContainer'])).toEqual([]);
    expect(f.callsOf(['createNetwork'])).toHaveLength(1);
    const ids = f.list().map((c) => c.id);

    const started = await up({ engine: f }, s);
    expect(started.result?.ok).toBe(true);
    expect(started.plan.actions.map((a) => a.kind)).toEqual(['start', 'start', 'start']);
    expect(states(f)).toEqual({ 'demo-app-1': 'running', 'demo-app-2': 'running', 'demo-db-1': 'running' });
    expect(f.list().map((c) => c.id)).toEqual(ids);
  });

  test('`start` starts created containers, dependencies first', async () => {
    const f = engine();
    const s = demo();
    await up({ engine: f }, s, { noStart: true });
    const r = await start({ engine: f }, s);
    expect(r.ok).toBe(true);
    expect(states(f)).toEqual({ 'demo-app-1': 'running', 'demo-app-2': 'running', 'demo-db-1': 'running' });
    const order = f.callsOf(['startContainer']).map((c) => c.name);
    expect(order[0]).toBe('demo-db-1');
  });

  test('a stopped container stays stopped, and a changed one is recreated without being started', async () => {
    const f = engine();
    const s = demo();
    await up({ engine: f }, s);
    const db = f.list().find((c) => c.name === 'demo-db-1')!;
    await f.stopContainer(db.id);
    s.services.app!.environment = { MODE: 'debug' };
    const r = await up({ engine: f }, s, { noStart: true });
    expect(r.result?.ok).toBe(true);
    expect(r.plan.actions.map((a) => `${a.kind} ${'name' in a ? a.name : ''}`)).toEqual([
      'recreate demo-app-1',
      'recreate demo-app-2',
    ]);
    expect(states(f)).toEqual({ 'demo-app-1': 'created', 'demo-app-2': 'created', 'demo-db-1': 'exited' });
    expect(f.list().some((c) => c.id === db.id)).toBe(true);
  });

  test('with nothing to create, no-start changes nothing (a stopped stack is not started)', async () => {
    const f = engine();
    const s = demo();
    await up({ engine: f }, s, { noStart: true });
    const calls = f.calls.length;
    const again = await up({ engine: f }, s, { noStart: true });
    expect(again.plan.actions).toEqual([]);
    expect(f.callsOf(['startContainer'])).toEqual([]);
    expect(f.calls.slice(calls).some((c) => c.method.startsWith('create'))).toBe(false);
  });

  test('withoutStarts keeps a container owed a restart as it is', () => {
    const db = container({ service: 'db', replica: 1 });
    const app = container({ service: 'app', replica: 1, state: 'running' });
    const plan: Plan = {
      project: 'demo',
      actions: [
        { kind: 'start', service: 'db', replica: 1, name: db.name, container: db },
        { kind: 'restart', service: 'app', replica: 1, name: app.name, container: app, dependency: 'db' },
        { kind: 'create', service: 'web', replica: 1, name: 'demo-web-1', hash: 'h', scale: false },
      ],
      unchanged: [],
      orphans: [],
      services: ['db', 'app', 'web'],
    };
    const p = withoutStarts(plan);
    expect(p.actions.map((a) => a.kind)).toEqual(['create']);
    expect(p.unchanged).toEqual([app]);
  });
});

describe('--pull', () => {
  const pullStack = () => stack([svc('cache', {}, { image: 'registry.example/cache:7' })]);

  test('never: a missing image fails clearly, nothing is pulled or created', async () => {
    const f = engine();
    f.addPullable('registry.example/cache:7');
    await expect(up({ engine: f }, pullStack(), { pull: 'never' })).rejects.toThrow(
      /image registry.example\/cache:7 for service "cache" is not present and pull_policy is never/,
    );
    expect(f.callsOf(['pullImage'])).toEqual([]);
    expect(f.list()).toEqual([]);
  });

  test('always: a present image is pulled again; missing (or policy): it is not', async () => {
    const f = engine();
    f.addPullable('registry.example/cache:7');
    f.addImage('registry.example/cache:7', { id: `sha256:${'2'.repeat(64)}` });
    await up({ engine: f }, pullStack(), { pull: 'missing' });
    await up({ engine: f }, pullStack());
    expect(f.callsOf(['pullImage'])).toEqual([]);
    await up({ engine: f }, pullStack(), { pull: 'always' });
    expect(f.callsOf(['pullImage'])).toHaveLength(1);
  });

  test('--quiet-pull: the pull happens without its progress lines', async () => {
    const f = engine();
    f.addPullable('registry.example/cache:7');
    const events: RunEvent[] = [];
    const r = await up({ engine: f, onEvent: (e) => events.push(e) }, pullStack(), { quietPull: true });
    expect(r.result?.ok).toBe(true);
    expect(f.callsOf(['pullImage'])).toHaveLength(1);
    expect(events.filter((e) => e.type === 'image')).toEqual([]);
  });

  test('the flag values are Compose’s', () => {
    expect(parsePull(undefined)).toBeUndefined();
    expect(parsePull('policy')).toBeUndefined();
    expect(parsePull('build')).toBe('build');
    expect(() => parsePull('sometimes')).toThrow(/invalid --pull option "sometimes"/);
  });
});

describe('-t, --timeout', () => {
  test('is the grace period of the containers a recreate and a scale-down stop', async () => {
    const f = engine();
    const s = demo();
    await up({ engine: f }, s);
    s.services.db!.environment = { REV: '2' };
    await up({ engine: f }, s, { timeoutSec: 1, scale: { app: 1 } });
    const stops = f.callsOf(['stopContainer']);
    expect(stops.map((c) => [c.name, c.args[1]]).sort()).toEqual([
      ['demo-app-2', 1],
      ['demo-db-1', 1],
    ]);
  });

  test('parses whole seconds only', () => {
    expect(parseTimeout(undefined)).toBeUndefined();
    expect(parseTimeout('0')).toBe(0);
    expect(parseTimeout('3')).toBe(3);
    expect(() => parseTimeout('1.5')).toThrow(/whole number of seconds/);
    expect(() => parseTimeout('soon')).toThrow(/whole number of seconds/);
  });
});

describe('--always-recreate-deps', () => {
  test('recreates the dependencies the named services pulled in, not the named ones', async () => {
    const f = engine();
    const s = demo();
    await up({ engine: f }, s);
    const deps = dependenciesOf(['app'], ['db', 'app']);
    expect(deps).toEqual(['db']);
    expect(dependenciesOf([], undefined)).toEqual([]);
    const r = await up({ engine: f }, s, { services: ['db', 'app'], forceRecreateServices: deps });
    expect(r.plan.actions.filter((a) => a.kind === 'recreate').map((a) => a.service)).toEqual(['db']);
  });
});

describe('scale', () => {
  test('adds and removes replicas and leaves a changed one as it is (--no-recreate)', async () => {
    const f = engine();
    const s = demo();
    await up({ engine: f }, s);
    const app1 = f.list().find((c) => c.name === 'demo-app-1')!.id;
    s.services.app!.environment = { MODE: 'debug' };
    const more = await up({ engine: f }, s, { services: ['db', 'app'], scale: { app: 3 }, noRecreate: true });
    expect(more.plan.actions.map((a) => a.kind)).toEqual(['create']);
    expect(f.list().find((c) => c.name === 'demo-app-1')!.id).toBe(app1);
    const fewer = await up({ engine: f }, s, {
      services: ['db', 'app'],
      scale: { app: 1 },
      noRecreate: true,
    });
    expect(fewer.plan.actions.map((a) => a.kind)).toEqual(['remove', 'remove']);
    expect(states(f)).toEqual({ 'demo-app-1': 'running', 'demo-db-1': 'running' });
  });

  test('arguments are SERVICE=N, as Compose reads them', () => {
    expect(parseScaleArgs(['web=2', 'worker=0'])).toEqual(['web=2', 'worker=0']);
    expect(() => parseScaleArgs(['web'])).toThrow(/invalid scale specifier: web/);
    expect(() => parseScaleArgs(['=2'])).toThrow(/invalid scale specifier/);
    expect(() => parseScaleArgs(['web=two'])).toThrow(/can't parse replica value/);
  });
});

describe('attached-only flags', () => {
  const base = { scale: [], attach: [], noAttach: [] };
  test('--abort-on-container-failure aborts on failures only, and not with --abort-on-container-exit', () => {
    const o = attachOptions({ ...base, abortOnContainerFailure: true }, ['db']);
    expect(o).toMatchObject({ abort: true, onlyFailure: true });
    expect(() =>
      attachOptions({ ...base, abortOnContainerFailure: true, abortOnContainerExit: true }, ['db']),
    ).toThrow(/cannot be combined/);
    expect(() => attachOptions({ ...base, abortOnContainerFailure: true, detach: true }, ['db'])).toThrow(
      /cannot be used with -d/,
    );
  });

  test('--no-start refuses the flags that need running containers; --no-log-prefix drops the prefix', () => {
    expect(() => attachOptions({ ...base, start: false, wait: true }, ['db'])).toThrow(/--no-start cannot/);
    expect(attachOptions({ ...base, logPrefix: false }, ['db']).noPrefix).toBe(true);
    expect(attachOptions({ ...base }, ['db']).noPrefix).toBe(false);
  });
});
