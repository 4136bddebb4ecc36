// ops/up on the fake engine: the project lock is taken only when something is to change, and an `up` that
// finds another berth's lock waits for it (or, with --no-wait, says so) even when it has nothing to do.
import { afterEach, describe, expect, test } from 'vitest';
import { lockName, lockSettings } from '../../src/ops/lock.js';
import { up } from '../../src/ops/up.js';
import { fakeEngines, on, svc } from '../support/executor-harness.js';
import { stack } from './stack-factory.js';

const fake = fakeEngines();
const wait = lockSettings.wait;
afterEach(() => {
  lockSettings.wait = wait;
});

/** A fresh fake with the busybox image, and a count of the locks `up` takes on it. */
function engine() {
  const f = fake();
  f.addImage('berth/busybox:latest');
  const locks: string[] = [];
  const createLock = f.createLock.bind(f);
  f.createLock = (name, labels) => {
    locks.push(name);
    return createLock(name, labels);
  };
  return { f, locks };
}

const demo = () => stack([svc('db'), svc('app', { db: on('service_started') }, { replicas: 2 })]);

describe('the project lock', () => {
  test('a first up takes it (and gives it back); a second up with nothing to do does not take it', async () => {
    const { f, locks } = engine();
    const s = demo();
    const first = await up({ engine: f }, s);
    expect(first.result?.ok).toBe(true);
    expect(locks).toEqual([lockName(s.project)]);
    expect(await f.inspectLock(lockName(s.project))).toBeUndefined();
    const ids = f.list().map((c) => c.id);

    const second = await up({ engine: f }, s);
    expect(second.plan.actions).toEqual([]);
    expect(second.result).toBeUndefined();
    expect(locks).toHaveLength(1);
    expect(f.list().map((c) => c.id)).toEqual(ids);
  });

  test('a change takes the lock and applies under it', async () => {
    const { f, locks } = engine();
    const s = demo();
    await up({ engine: f }, s);
    s.services.app!.environment = { MODE: 'debug' };
    const changed = await up({ engine: f }, s);
    expect(changed.result?.ok).toBe(true);
    expect(changed.plan.actions.length).toBeGreaterThan(0);
    expect(locks).toHaveLength(2);
  });

  test('with nothing to do but another berth holding the lock, up does not slip past it', async () => {
    const { f } = engine();
    const s = demo();
    await up({ engine: f }, s);
    await f.createLock(lockName(s.project), {
      'dev.berth.lock': s.project,
      'dev.berth.lock.pid': String(process.pid), // alive: not stale
      'dev.berth.lock.host': (await import('node:os')).hostname(),
      'dev.berth.lock.since': new Date().toISOString(),
    });
    lockSettings.wait = false;
    await expect(up({ engine: f }, s)).rejects.toThrow(/another berth on project .* is changing it/);
  });

  test('--wait with nothing to do still goes through the lock (it waits on the stack, as a change would)', async () => {
    const { f, locks } = engine();
    const s = demo();
    await up({ engine: f }, s);
    const again = await up({ engine: f }, s, { wait: true });
    expect(again.result?.ok).toBe(true);
    expect(locks).toHaveLength(2);
  });
});
