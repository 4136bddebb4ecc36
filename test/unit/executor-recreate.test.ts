// Recreating a container on the fake engine: the swap (successor under a temporary name, old one stopped and
// removed, successor renamed), its rollback when the run is cut short, a leftover of an earlier cut, and
// `restart: true` dependents.
import { describe, expect, test } from 'vitest';
import { temporaryName } from '../../src/model/index.js';
import type { Service } from '../../src/model/stack.js';
import { eventIndex, fakeEngines, historyOf, on, problems, svc, up } from '../support/executor-harness.js';
import { MUTATING } from '../support/fake-engine.js';
import { stack } from './stack-factory.js';

const fake = fakeEngines();

/** A stack that is up on a fresh fake, with `change` applied to the stack afterwards. */
async function upThenChange(services: Service[], change: (s: ReturnType<typeof stack>) => void) {
  const f = fake();
  const s = stack(services);
  expect((await up(f, s)).result.ok).toBe(true);
  const before = new Map(f.list().map((c) => [c.name, c.id]));
  change(s);
  return { f, s, before };
}

describe('recreate swap', () => {
  test('successor under the temporary name, old one stopped and removed, successor renamed and started', async () => {
    const { f, s, before } = await upThenChange(
      [svc('db'), svc('app', { db: on('service_started') }, { replicas: 2 })],
      (s) => {
        s.services.app!.environment = { MODE: 'debug' };
      },
    );
    const { plan, result } = await up(f, s);
    expect(plan.actions.map((a) => `${a.kind} ${'name' in a ? a.name : ''}`)).toEqual([
      'recreate demo-app-1',
      'recreate demo-app-2',
    ]);
    expect(result.ok).toBe(true);
    for (const name of ['demo-app-1', 'demo-app-2']) {
      const oldId = before.get(name)!;
      const now = f.get(name)!;
      expect(now.id).not.toBe(oldId);
      expect(now.state).toBe('running');
      expect(f.get(oldId)).toBeUndefined();
      const tmp = temporaryName(oldId, name);
      expect(historyOf(f.events, now.id)).toEqual(['create', `rename→${name}`, 'start']);
      expect(f.events.find((e) => e.id === now.id)!.name).toBe(tmp);
      expect(historyOf(f.events, oldId)).toEqual(['create', 'start', 'kill', 'die', 'stop', 'destroy']);
      // the canonical name is free only between the old one's removal and the rename
      const destroyed = f.events.findIndex((e) => e.id === oldId && e.action === 'destroy');
      expect(f.events.findIndex((e) => e.id === now.id && e.action === 'create')).toBeLessThan(destroyed);
      expect(f.events.findIndex((e) => e.id === now.id && e.action === 'rename')).toBeGreaterThan(destroyed);
    }
    expect(result.containers.app!.sort()).toEqual([f.get('demo-app-1')!.id, f.get('demo-app-2')!.id].sort());
    expect(f.get('demo-db-1')!.id).toBe(before.get('demo-db-1'));
    expect(problems(f, s)).toEqual([]);
  });

  test('a leftover successor of an earlier interrupted run is removed before its temporary name is reused', async () => {
    const { f, s, before } = await upThenChange([svc('app')], (s) => {
      s.services.app!.environment = { V: '2' };
    });
    const oldId = before.get('demo-app-1')!;
    const tmp = temporaryName(oldId, 'demo-app-1');
    await f.createContainer({
      kind: 'replica',
      stack: s,
      service: 'app',
      replica: 1,
      hash: 'stale',
      name: tmp,
    });
    const { plan, result } = await up(f, s);
    expect(plan.actions.map((a) => `${a.kind} ${a.kind === 'remove' ? a.reason : ''}`.trim())).toEqual([
      'remove leftover',
      'recreate',
    ]);
    expect(result.ok).toBe(true);
    expect(problems(f, s)).toEqual([]);
  });

  test('rollback when cut short mid-swap: the old container keeps its name and serves, the successor goes', async () => {
    const { f, s, before } = await upThenChange(
      [svc('db'), svc('app', { db: on('service_started') })],
      (s) => {
        s.services.app!.environment = { V: '2' };
      },
    );
    const oldId = before.get('demo-app-1')!;
    const ac = new AbortController();
    // Ctrl-C right as the old container is being stopped, after its successor was made
    f.beforeCall(
      1,
      () => ac.abort(),
      (c) => c.method === 'stopContainer' && c.target === oldId,
    );
    const { result } = await up(f, s, { signal: ac.signal });
    expect(result).toMatchObject({ ok: false, interrupted: true });
    const created = f.callsOf(['createContainer']).at(-1)!;
    expect(created.name).toBe(temporaryName(oldId, 'demo-app-1'));
    expect(f.names()).toEqual(['demo-app-1', 'demo-db-1']);
    expect(f.get('demo-app-1')).toMatchObject({ id: oldId, state: 'running' });
    expect(problems(f, s)).toEqual(['demo-app-1: outdated']);

    const again = await up(f, s);
    expect(again.result.ok).toBe(true);
    expect(problems(f, s)).toEqual([]);
    expect(f.get('demo-app-1')!.id).not.toBe(oldId);
  });

  test('a successor that cannot be created leaves the old container running', async () => {
    const { EngineError } = await import('../../src/engine/errors.js');
    const { f, s, before } = await upThenChange([svc('app')], (s) => {
      s.services.app!.environment = { V: '2' };
    });
    f.failNext('createContainer', 'app', new EngineError('failed', 'no space left on device', 500));
    const { result } = await up(f, s);
    expect(result.failures.map((x) => x.message)).toEqual([
      'service "app" failed to start: no space left on device',
    ]);
    expect(f.get('demo-app-1')).toMatchObject({ id: before.get('demo-app-1'), state: 'running' });
    expect(f.names()).toEqual(['demo-app-1']);
  });
});

describe('restart: true', () => {
  test('a running dependent is restarted once the dependency it names is replaced, after it started', async () => {
    const { f, s, before } = await upThenChange(
      [
        svc('db'),
        svc('app', { db: on('service_started', { restart: true }) }),
        svc('web', { app: on('service_started') }),
      ],
      (s) => {
        s.services.db!.environment = { V: '2' };
      },
    );
    const { plan, result } = await up(f, s);
    expect(plan.actions.map((a) => `${a.kind} ${'name' in a ? a.name : ''}`)).toEqual([
      'recreate demo-db-1',
      'restart demo-app-1',
    ]);
    expect(result.ok).toBe(true);
    const app = before.get('demo-app-1')!;
    expect(f.get('demo-app-1')).toMatchObject({ id: app, state: 'running' });
    expect(historyOf(f.events, app)).toEqual(['create', 'start', 'kill', 'die', 'stop', 'start', 'restart']);
    const newDb = f.get('demo-db-1')!.id;
    expect(newDb).not.toBe(before.get('demo-db-1'));
    const dbStarted = f.events.findIndex((e) => e.id === newDb && e.action === 'start');
    expect(eventIndex(f.events, 'demo-app-1', 'restart')).toBeGreaterThan(dbStarted);
    // web does not ask for restarts: untouched
    expect(historyOf(f.events, before.get('demo-web-1')!)).toEqual(['create', 'start']);
    expect(f.callsOf(MUTATING).filter((c) => c.service === 'web')).toHaveLength(2); // the first up's create and start
  });
});

describe('anonymous volumes', () => {
  const scratch = (s: ReturnType<typeof stack>) => {
    s.services.app!.volumes = [{ type: 'volume', target: '/scratch', read_only: false }];
  };
  const volumeOf = (f: ReturnType<typeof fake>) =>
    f.snapshot().volumes.find((v) => Object.keys(v.labels).length === 0)?.name;

  test('a recreate hands the old container’s anonymous volume to its successor; -V gives a fresh one', async () => {
    const f = fake();
    const s = stack([svc('app')]);
    scratch(s);
    expect((await up(f, s)).result.ok).toBe(true);
    const first = volumeOf(f);
    expect(first).toBeDefined();

    s.services.app!.environment = { V: '2' };
    expect((await up(f, s)).result.ok).toBe(true);
    expect(
      f
        .snapshot()
        .volumes.filter((v) => Object.keys(v.labels).length === 0)
        .map((v) => v.name),
    ).toEqual([first]);

    s.services.app!.environment = { V: '3' };
    expect((await up(f, s, { renewAnonVolumes: true })).result.ok).toBe(true);
    const anonymous = f
      .snapshot()
      .volumes.filter((v) => Object.keys(v.labels).length === 0)
      .map((v) => v.name);
    // the old one is left behind (as Compose leaves it), the successor has its own
    expect(anonymous).toHaveLength(2);
    expect(anonymous).toContain(first);
    expect(problems(f, s)).toEqual([]);
  });
});
