// The project lock's heartbeat, on the fake engine with an injected clock: a holder that runs longer than
// BERTH_LOCK_STALE keeps its lock (it beats), a holder on another host that stopped beating loses it, and the
// beating stops with the release.
import { hostname } from 'node:os';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import type { RunEvent } from '../../src/executor/events.js';
import {
  beatMs,
  isStale,
  LockLabel,
  lockClock,
  lockName,
  lockSettings,
  withProjectLock,
} from '../../src/ops/lock.js';
import { FakeEngine } from '../support/fake-engine.js';

/** A clock that moves only when told, running the timers that fall due (and letting their calls finish). */
class ManualClock {
  t = Date.parse('2026-11-30T10:00:00Z');
  private timers: Array<{ every: number; next: number; fn: () => void; on: boolean }> = [];
  now = () => this.t;
  every = (ms: number, fn: () => void) => {
    const timer = { every: ms, next: this.t + ms, fn, on: true };
    this.timers.push(timer);
    return () => {
      timer.on = false;
    };
  };
  active = () => this.timers.filter((x) => x.on).length;
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      const due = this.timers.filter((x) => x.on && x.next <= end).sort((a, b) => a.next - b.next)[0];
      if (!due) break;
      this.t = due.next;
      due.next += due.every;
      due.fn();
      for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    }
    this.t = end;
  }
}

const real = { ...lockClock };
const wait = lockSettings.wait;
let clock: ManualClock;
let fake: FakeEngine;
beforeEach(() => {
  clock = new ManualClock();
  lockClock.now = clock.now;
  lockClock.every = clock.every;
  process.env.BERTH_LOCK_STALE = '600';
  fake = new FakeEngine();
});
afterEach(() => {
  Object.assign(lockClock, real);
  lockSettings.wait = wait;
  delete process.env.BERTH_LOCK_STALE;
  fake.close();
});

const elsewhere = (since: string) => ({
  [LockLabel.project]: 'p',
  [LockLabel.pid]: '4242',
  [LockLabel.host]: 'another-host',
  [LockLabel.since]: since,
});
/** How another host sees the lock of project p right now. */
const staleFromAnotherHost = async () => {
  const l = await fake.inspectLock(lockName('p'));
  expect(l).toBeDefined();
  return isStale(l!.labels, clock.now(), 'another-host', () => true, l!.beat);
};

describe('the lock heartbeat', () => {
  test('a holder busy for longer than BERTH_LOCK_STALE keeps its lock, and stops beating on release', async () => {
    expect(beatMs()).toBe(150_000);
    await withProjectLock({ engine: fake }, ['p'], async () => {
      expect(clock.active()).toBe(1);
      for (let minute = 0; minute < 60; minute++) {
        await clock.advance(60_000);
        expect(await staleFromAnotherHost(), `after ${minute + 1} minutes`).toBe(false);
      }
      // an hour after it was taken, the lock's labels alone would say stale: the beat is what keeps it
      const l = (await fake.inspectLock(lockName('p')))!;
      expect(isStale(l.labels, clock.now(), 'another-host', () => true)).toBe(true);
      expect(Date.parse(l.beat!)).toBeGreaterThan(clock.now() - beatMs() - 1);
    });
    expect(clock.active()).toBe(0);
    expect(await fake.inspectLock(lockName('p'))).toBeUndefined();
  });

  test('a holder on another host that still beats is waited for, not taken over', async () => {
    lockSettings.wait = false;
    const taken = new Date(clock.now() - 3600_000).toISOString();
    fake.putLock(lockName('p'), elsewhere(taken), new Date(clock.now() - 60_000).toISOString());
    await expect(withProjectLock({ engine: fake }, ['p'], async () => 'ran')).rejects.toThrow(
      /another berth on project p \(pid 4242 on another-host, since .*\) is changing it/,
    );
    expect((await fake.inspectLock(lockName('p')))!.labels[LockLabel.host]).toBe('another-host');
  });

  test('a holder on another host that stopped beating is taken over, with a warning', async () => {
    lockSettings.wait = false;
    const taken = new Date(clock.now() - 3600_000).toISOString();
    fake.putLock(lockName('p'), elsewhere(taken), new Date(clock.now() - 601_000).toISOString());
    const events: RunEvent[] = [];
    const got = await withProjectLock({ engine: fake, onEvent: (e) => events.push(e) }, ['p'], async () => {
      const l = (await fake.inspectLock(lockName('p')))!;
      return l.labels[LockLabel.host];
    });
    expect(got).toBe(hostname());
    expect(events).toContainEqual({
      type: 'warning',
      message: expect.stringMatching(
        /^took over the lock of project p from a berth that is gone \(pid 4242 on another-host/,
      ),
    });
  });

  test('a lock that never beat (an older berth) is stale once it is older than BERTH_LOCK_STALE', () => {
    const now = clock.now();
    expect(isStale(elsewhere(new Date(now - 599_000).toISOString()), now, 'h', () => true)).toBe(false);
    expect(isStale(elsewhere(new Date(now - 601_000).toISOString()), now, 'h', () => true)).toBe(true);
    // a beat newer than the labels wins; an unreadable one is ignored
    const old = elsewhere(new Date(now - 3600_000).toISOString());
    expect(isStale(old, now, 'h', () => true, new Date(now - 10_000).toISOString())).toBe(false);
    expect(isStale(old, now, 'h', () => true, 'garbage')).toBe(true);
  });
});
