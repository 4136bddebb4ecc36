// `stop` and `down` on the fake engine: dependents stop before what they depend on, independent services stop
// together, removal follows the stop.
import { describe, expect, test } from 'vitest';
import { EngineError } from '../../src/engine/errors.js';
import type { Dependency } from '../../src/model/stack.js';
import { fakeEngines, problems, stop, up } from '../support/executor-harness.js';
import type { FakeEngine } from '../support/fake-engine.js';
import { service, stack } from './stack-factory.js';

const fake = fakeEngines();

const started: Dependency = { condition: 'service_started', required: true, restart: false };

const chain = () =>
  stack([
    service('db'),
    service('app', { depends_on: { db: started }, replicas: 2 }),
    service('web', { depends_on: { app: started } }),
    service('cache'),
  ]);

const stopIndex = (f: FakeEngine, name: string) =>
  f.events.findIndex((e) => e.name === name && e.action === 'stop');
const killIndex = (f: FakeEngine, name: string) =>
  f.events.findIndex((e) => e.name === name && e.action === 'kill');

describe('stop order', () => {
  test('dependents stop first; independent services stop together', async () => {
    const f = fake();
    const s = chain();
    expect((await up(f, s)).result.ok).toBe(true);
    f.latency = (c) => (c.method === 'stopContainer' ? 2 : 0);
    const { errors } = await stop(f, s);
    expect(errors).toEqual([]);
    expect(f.list().map((c) => c.state)).toEqual(['exited', 'exited', 'exited', 'exited', 'exited']);
    for (const app of ['demo-app-1', 'demo-app-2']) {
      expect(killIndex(f, app)).toBeGreaterThan(stopIndex(f, 'demo-web-1'));
      expect(killIndex(f, 'demo-db-1')).toBeGreaterThan(stopIndex(f, app));
    }
    // web and cache have no dependents: both stop at once, as do the two app replicas
    const stops = f.callsOf(['stopContainer']);
    const call = (name: string) => stops.find((c) => c.name === name)!;
    const overlap = (a: string, b: string) =>
      call(a).startedAt < call(b).endedAt! && call(b).startedAt < call(a).endedAt!;
    expect(overlap('demo-web-1', 'demo-cache-1')).toBe(true);
    expect(overlap('demo-app-1', 'demo-app-2')).toBe(true);
  });

  test('down removes after stopping, and a second up starts from nothing', async () => {
    const f = fake();
    const s = chain();
    await up(f, s);
    const { errors } = await stop(f, s, { remove: true });
    expect(errors).toEqual([]);
    expect(f.names()).toEqual([]);
    for (const id of f.events.filter((e) => e.action === 'create').map((e) => e.id))
      expect(f.events.filter((e) => e.id === id).map((e) => e.action)).toEqual([
        'create',
        'start',
        'kill',
        'die',
        'stop',
        'destroy',
      ]);
    expect((await up(f, s)).result.ok).toBe(true);
    expect(problems(f, s)).toEqual([]);
  });

  test('a stop that fails is reported; its dependencies still stop', async () => {
    const f = fake();
    const s = chain();
    await up(f, s);
    f.failNext(
      'stopContainer',
      'web',
      new EngineError('failed', 'tried to kill container, but did not receive an exit event', 500),
    );
    const { errors } = await stop(f, s);
    expect(errors).toEqual(['demo-web-1: tried to kill container, but did not receive an exit event']);
    expect(f.get('demo-web-1')!.state).toBe('running');
    expect(f.get('demo-db-1')!.state).toBe('exited');
  });
});

describe('a deep depends_on chain', () => {
  // Containers made bottom first, so the walk meets the bottom of the chain first: the recursive walk this
  // replaced went 5,000 calls deep from there.
  const N = 5000;
  test(`\`down\` of ${N.toLocaleString('en')} services stops each after its dependent, without overflowing`, {
    timeout: 120_000,
  }, async () => {
    const f = fake();
    const s = stack(
      Array.from({ length: N }, (_, i) =>
        service(`s${i}`, i < N - 1 ? { depends_on: { [`s${i + 1}`]: started } } : {}),
      ),
    );
    // made directly, not by `up` (whose chain of start conditions takes half a minute on a busy machine)
    await f.createNetwork({ stack: s, key: 'default' });
    for (const svc of Object.values(s.services).reverse()) {
      const id = await f.createContainer({
        kind: 'replica',
        stack: s,
        service: svc.name,
        replica: 1,
        hash: 'h',
        name: `demo-${svc.name}-1`,
      });
      await f.startContainer(id);
    }
    const { errors } = await stop(f, s, { remove: true });
    expect(errors).toEqual([]);
    expect(f.list().filter((c) => c.project === s.project)).toEqual([]);
    // s0 needs s1 needs s2 …: s0 stops first, the bottom of the chain last
    const order = f.events.filter((e) => e.action === 'stop').map((e) => e.name);
    expect(order).toHaveLength(N);
    expect(order.every((n, i) => n === `demo-s${i}-1`)).toBe(true);
  });
});

describe('dependentsFirst', () => {
  test('puts every dependent before what it depends on, and still lists a hand-made cycle', async () => {
    const { dependentsFirst } = await import('../../src/executor/stop.js');
    const m = new Map([
      ['db', ['app', 'worker']],
      ['app', ['web']],
      ['worker', []],
      ['web', []],
    ]);
    const order = dependentsFirst(m);
    expect(order.indexOf('web')).toBeLessThan(order.indexOf('app'));
    expect(order.indexOf('app')).toBeLessThan(order.indexOf('db'));
    expect(order.indexOf('worker')).toBeLessThan(order.indexOf('db'));
    expect(
      dependentsFirst(
        new Map([
          ['a', ['b']],
          ['b', ['a']],
          ['c', []],
        ]),
      ).sort(),
    ).toEqual(['a', 'b', 'c']);
  });
});
