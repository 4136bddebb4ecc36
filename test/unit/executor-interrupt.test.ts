// Ctrl-C at every step: for N = 1..(engine calls of a full run), abort right before call N, then check that
// nothing new started after it, that no name was left without its container, and that the next `up` converges
// to the full stack with no leftovers.
import { describe, expect, test } from 'vitest';
import type { Healthcheck, Service } from '../../src/model/stack.js';
import { fakeEngines, on, problems, up } from '../support/executor-harness.js';
import { type FakeEngine, MUTATING } from '../support/fake-engine.js';
import { service, stack } from './stack-factory.js';

const fake = fakeEngines();

const hc: Healthcheck = { test: ['CMD', 'ready'], intervalMs: 1000, retries: 3, disable: false };

/** db (healthy after 2 checks) and cache, app ×2 waiting for both, web restarted when app is replaced. */
function demo() {
  const services: Service[] = [
    service('db', {
      healthcheck: hc,
      volumes: [{ type: 'volume', source: 'data', target: '/var/lib/db', read_only: false }],
    }),
    service('cache'),
    service('app', {
      replicas: 2,
      depends_on: { db: on('service_healthy'), cache: on('service_started') },
    }),
    service('web', { depends_on: { app: on('service_started', { restart: true }) } }),
  ];
  return stack(services, {
    volumes: { data: { name: 'demo_data', driver_opts: {}, external: false, labels: {} } },
  });
}

function behave(f: FakeEngine) {
  f.behave('db', { healthyAfter: 2 });
}

/** Mutating calls of one uninterrupted run from the state `prepare` leaves. */
async function callsOfFullRun(
  prepare: (f: FakeEngine) => Promise<ReturnType<typeof stack>>,
): Promise<number> {
  const f = fake();
  const s = await prepare(f);
  const before = f.callsOf(MUTATING).length;
  const { result } = await up(f, s);
  expect(result.ok).toBe(true);
  return f.callsOf(MUTATING).length - before;
}

async function interruptedAt(n: number, prepare: (f: FakeEngine) => Promise<ReturnType<typeof stack>>) {
  const f = fake();
  const s = await prepare(f);
  const before = new Set(f.list().map((c) => c.id));
  const ac = new AbortController();
  let abortedAt = -1;
  f.beforeCall(
    n,
    (c) => {
      abortedAt = c.seq;
      ac.abort();
    },
    MUTATING,
  );
  const { result } = await up(f, s, { signal: ac.signal });
  return { f, s, result, abortedAt, before };
}

/** Every canonical name the stack had before is still held by a container of that service. */
function namesHeld(f: FakeEngine, names: string[]): string[] {
  return names.filter((n) => !f.get(n));
}

describe('Ctrl-C at every step', () => {
  const cold = async (f: FakeEngine) => {
    behave(f);
    return demo();
  };

  test('of a cold up: nothing starts after the abort, and the next up converges', async () => {
    const total = await callsOfFullRun(cold);
    expect(total).toBe(12); // network, volume, 5 creates, 5 starts
    for (let n = 1; n <= total; n++) {
      const { f, s, result, abortedAt } = await interruptedAt(n, cold);
      expect(result.interrupted, `abort before call ${n}`).toBe(true);
      expect(result.ok).toBe(false);
      // the call that was about to go still goes; none after it
      const late = f.callsOf(MUTATING).filter((c) => c.seq > abortedAt);
      expect(
        late.map((c) => `${c.method} ${c.target}`),
        `abort before call ${n}`,
      ).toEqual([]);
      expect(f.callsOf().filter((c) => c.endedAt === undefined)).toEqual([]);
      const again = await up(f, s);
      expect(again.result.ok, `second up after abort before call ${n}`).toBe(true);
      expect(problems(f, s), `after abort before call ${n}`).toEqual([]);
    }
  });

  const changed = async (f: FakeEngine) => {
    behave(f);
    const s = demo();
    expect((await up(f, s)).result.ok).toBe(true);
    s.services.db!.environment = { V: '2' };
    s.services.app!.environment = { V: '2' };
    return s;
  };

  test('of a recreate: every name keeps a container, successors are rolled back, the next up converges', async () => {
    const total = await callsOfFullRun(changed);
    // db and two app replicas: create, stop, remove, rename, start each; web restarted
    expect(total).toBe(16);
    const names = ['demo-app-1', 'demo-app-2', 'demo-cache-1', 'demo-db-1', 'demo-web-1'];
    for (let n = 1; n <= total; n++) {
      const { f, s, result, abortedAt, before } = await interruptedAt(n, changed);
      expect(result.interrupted, `abort before call ${n}`).toBe(true);
      expect(namesHeld(f, names), `abort before call ${n}`).toEqual([]);
      // no successor is left under its temporary name, and nothing is still going on
      expect(f.names(), `abort before call ${n}`).toEqual(names);
      expect(f.callsOf().filter((c) => c.endedAt === undefined)).toEqual([]);
      // an old container that was not swapped out serves again
      const down = f.list().filter((c) => before.has(c.id) && c.state !== 'running');
      expect(
        down.map((c) => c.name),
        `abort before call ${n}`,
      ).toEqual([]);
      // after the abort only the swap already under way, and the rollback, touch the engine
      const late = f.callsOf(MUTATING).filter((c) => c.seq > abortedAt);
      for (const c of late)
        expect(
          ['renameContainer', 'removeContainer', 'startContainer'],
          `${c.method} after abort ${n}`,
        ).toContain(c.method);
      const again = await up(f, s);
      expect(again.result.ok, `second up after abort before call ${n}`).toBe(true);
      expect(problems(f, s), `after abort before call ${n}`).toEqual([]);
    }
  });
});
