// ops/up on the fake engine: the project lock is taken only when something is to change, and an `up` that
// finds another berth's lock waits for it (or, with --no-wait, says so) even when it has nothing to do.
import { afterEach, describe, expect, test } from 'vitest';
import { lockName, lockSettings, withProjectLock } from '../../src/ops/lock.js';
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

/** List calls of the whole engine (no label filter) and of the project alone (label-filtered). */
function listings(f: ReturnType<typeof engine>['f']) {
  const lists = f.callsOf(['listContainers', 'listNetworks', 'listVolumes']);
  const filtered = (c: (typeof lists)[number]) =>
    ((c.args[0] as { labels?: string[] } | undefined)?.labels ?? []).length > 0;
  return {
    whole: lists.filter((c) => !filtered(c)).map((c) => c.method),
    project: lists.filter(filtered).map((c) => c.method),
  };
}

describe('one look at the engine', () => {
  test('a no-op up lists the engine once (the project picked out of that listing, by label)', async () => {
    const { f } = engine();
    const s = demo();
    await up({ engine: f }, s);
    const before = f.calls.length;
    const again = await up({ engine: f }, s);
    expect(again.plan.actions).toEqual([]);
    const calls = f.calls.slice(before).map((c) => c.method);
    expect(calls.sort()).toEqual(['inspectImage', 'listContainers', 'listNetworks', 'listVolumes']);
  });

  test('a project object is told from a look-alike of another project in that one listing', async () => {
    const { f } = engine();
    const s = demo();
    const other = stack([svc('db'), svc('app', { db: on('service_started') }, { replicas: 2 })], {
      project: `${s.project}-other`,
    });
    await up({ engine: f }, other);
    const first = await up({ engine: f }, s);
    // the other project's containers are not this project's: all of this one's are created
    expect(first.plan.actions.filter((a) => a.kind === 'create')).toHaveLength(3);
    expect(f.list().filter((c) => c.project === s.project)).toHaveLength(3);
    expect(f.list().filter((c) => c.project === other.project)).toHaveLength(3);
  });

  test('a change with the lock free reuses the look under the lock: one project list, not the engine again', async () => {
    const { f, locks } = engine();
    const s = demo();
    await up({ engine: f }, s);
    f.calls.length = 0;
    s.services.app!.environment = { MODE: 'debug' };
    const changed = await up({ engine: f }, s);
    expect(changed.result?.ok).toBe(true);
    expect(locks).toHaveLength(2);
    const { whole, project } = listings(f);
    expect(whole.sort()).toEqual(['listContainers', 'listNetworks', 'listVolumes']);
    // the check that nobody changed the project between the look and the lock
    expect(project.filter((m) => m === 'listContainers').length).toBeGreaterThanOrEqual(1);
    expect(f.list().every((c) => c.state === 'running')).toBe(true);
  });

  test('another berth changing the project between the look and the lock: up looks again and converges', async () => {
    const { f } = engine();
    const s = demo();
    await up({ engine: f }, s);
    const db = f.list().find((c) => c.service === 'db')!;
    s.services.app!.environment = { MODE: 'debug' };
    // right before this up takes the lock, another berth stops db (and gives its lock back)
    const createLock = f.createLock.bind(f);
    let raced = false;
    f.createLock = async (name, labels) => {
      if (!raced) {
        raced = true;
        await f.stopContainer(db.id);
      }
      return createLock(name, labels);
    };
    f.calls.length = 0;
    const changed = await up({ engine: f }, s);
    expect(raced).toBe(true);
    expect(changed.result?.ok).toBe(true);
    // the stale look planned only app's recreate; the fresh one starts db again too
    expect(changed.plan.actions.some((a) => 'service' in a && a.service === 'db')).toBe(true);
    expect(listings(f).whole.filter((m) => m === 'listContainers')).toHaveLength(2);
    expect(f.list().every((c) => c.state === 'running')).toBe(true);
  });

  test('a lock taken after a wait means looking again', async () => {
    const { f } = engine();
    const s = demo();
    await up({ engine: f }, s);
    s.services.app!.environment = { MODE: 'debug' };
    // the first try finds another berth's lock, given back before the second
    const createLock = f.createLock.bind(f);
    let tries = 0;
    f.createLock = async (name, labels) => (++tries === 1 ? undefined : createLock(name, labels));
    f.calls.length = 0;
    const changed = await up({ engine: f }, s);
    expect(tries).toBe(2);
    expect(changed.result?.ok).toBe(true);
    expect(listings(f).whole.filter((m) => m === 'listContainers')).toHaveLength(2);
  });

  test('under a lock this process holds already (use calling up), its own lock does not stop the look', async () => {
    const { f, locks } = engine();
    const s = demo();
    await up({ engine: f }, s);
    s.services.app!.environment = { MODE: 'debug' };
    f.calls.length = 0;
    const changed = await withProjectLock({ engine: f }, [s.project], () => up({ engine: f }, s));
    expect(changed.result?.ok).toBe(true);
    expect(locks).toHaveLength(2); // the outer one; up's is reentrant
    const { whole, project } = listings(f);
    expect(whole.filter((m) => m === 'listContainers')).toHaveLength(1);
    expect(project).toEqual([]);
  });
});
