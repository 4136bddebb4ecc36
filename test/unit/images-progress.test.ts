import { describe, expect, test } from 'vitest';
import { pullable } from '../../src/cli/pull.js';
import { formatBytes, LiveBlock, PullTracker } from '../../src/cli/pull-progress.js';
import type { Service } from '../../src/model/stack.js';

const L = 'aaaaaaaaaaaa';
const M = 'bbbbbbbbbbbb';

describe('PullTracker', () => {
  test('plain lines: each step of a layer once, image-level messages as they come, no byte-count spam', () => {
    const t = new PullTracker();
    const lines = [
      { status: 'Pulling from bt/busybox', id: '1' },
      { status: 'Already exists', id: M },
      { status: 'Pulling fs layer', id: L },
      { status: 'Downloading', id: L, progressDetail: { current: 100, total: 400_000 } },
      { status: 'Downloading', id: L, progressDetail: { current: 200_000, total: 400_000 } },
      { status: 'Download complete', id: L },
      { status: 'Extracting', id: L, progressDetail: { current: 1, total: 400_000 } },
      { status: 'Pull complete', id: L },
      { status: 'Digest: sha256:abc' },
      { error: 'ignored here: reported as the failure' },
    ]
      .map((e) => t.apply(e))
      .filter(Boolean);
    expect(lines).toEqual([
      'Pulling from bt/busybox (1)',
      `${M}: Already exists`,
      `${L}: Pulling fs layer`,
      `${L}: Downloading (400.0 kB)`,
      `${L}: Download complete`,
      `${L}: Extracting`,
      `${L}: Pull complete`,
      'Digest: sha256:abc',
    ]);
  });

  test('terminal summary: layers done and bytes so far', () => {
    const t = new PullTracker();
    t.apply({ status: 'Already exists', id: M });
    t.apply({ status: 'Downloading', id: L, progressDetail: { current: 1500, total: 3000 } });
    expect(t.summary()).toBe('Downloading 1/2 layers 1.5 kB/3.0 kB');
    t.apply({ status: 'Pull complete', id: L });
    t.apply({ status: 'Status: Downloaded newer image for x' });
    expect(t.summary()).toBe('Status: Downloaded newer image for x');
  });

  test('formatBytes uses decimal units as docker does', () => {
    expect(formatBytes(999)).toBe('999 B');
    expect(formatBytes(2_000_000)).toBe('2.0 MB');
  });
});

describe('LiveBlock', () => {
  test('redraws its lines in place: cursor up over what it drew before, each line cleared', () => {
    let out = '';
    const b = new LiveBlock((s) => {
      out += s;
    });
    b.set('a', 'a 1');
    b.set('b', 'b 1');
    b.draw();
    expect(out).toBe('\x1b[2Ka 1\n\x1b[2Kb 1\n');
    out = '';
    b.set('a', 'a 2');
    b.close();
    expect(out).toBe('\x1b[2A\x1b[2Ka 2\n\x1b[2Kb 1\n');
  });
});

describe('which services pull fetches', () => {
  const s = (over: Partial<Service>) =>
    ({ name: 'x', image: 'x', pull_policy: 'missing', ...over }) as Service;
  test('image services yes; built ones only with pull_policy always; never is never', () => {
    expect(pullable(s({})).pull).toBe(true);
    expect(pullable(s({ build: {} as Service['build'] })).pull).toBe(false);
    expect(pullable(s({ build: {} as Service['build'], pull_policy: 'always' })).pull).toBe(true);
    expect(pullable(s({ pull_policy: 'never' })).pull).toBe(false);
  });
});
