import { snapshotRepo } from '../../src/model/index.js';
import { describe, expect, test } from 'vitest';
import {
  checkTag,
  formatChanges,
  formatSnapshotTable,
  sortSnapshots,
  timestampTag,
} from '../../src/stacks/snapshots.js';

describe('snapshot names', () => {
  test('repository per project and service, lowercase', () => {
    expect(snapshotRepo('demo-acme', 'App')).toBe('berth-snapshot/demo-acme-app');
  });

  test('the default tag is the UTC time, valid as an image tag and sortable', () => {
    const tag = timestampTag(new Date('2026-11-21T08:05:03.123Z'));
    expect(tag).toBe('20261121-080503');
    expect(checkTag(tag)).toBe(tag);
    expect(timestampTag(new Date('2026-11-21T10:00:00Z')) > tag).toBe(true);
  });

  test('bad tags are refused with a hint', () => {
    for (const bad of ['', '-x', '.x', 'a b', 'a:b', 'x'.repeat(129)])
      expect(() => checkTag(bad)).toThrow(/invalid snapshot tag/);
    expect(checkTag('v1.2_rc-3')).toBe('v1.2_rc-3');
  });
});

describe('diff output', () => {
  test('engine kinds 0/1/2 are changed/added/deleted, printed docker-diff style in path order', () => {
    const changes = [
      { path: '/tmp/new.txt', kind: 'added' as const },
      { path: '/etc', kind: 'changed' as const },
      { path: '/bin/vi', kind: 'deleted' as const },
    ];
    expect(formatChanges(changes)).toBe('D /bin/vi\nC /etc\nA /tmp/new.txt');
  });
});

describe('snapshot list', () => {
  const a = {
    ref: 'berth-snapshot/demo-acme-app:t1',
    id: 'sha256:1',
    project: 'demo-acme',
    stack: 'demo',
    service: 'app',
    client: 'acme',
    time: '2026-11-21T08:00:00.000Z',
    sizeBytes: 123_456_789,
  };
  const b = {
    ...a,
    ref: 'berth-snapshot/demo-acme-app:t2',
    time: '2026-11-21T09:00:00.000Z',
    sizeBytes: 999,
  };
  test('newest first, as a readable table', () => {
    const sorted = sortSnapshots([a, b]);
    expect(sorted.map((s) => s.ref)).toEqual([b.ref, a.ref]);
    const lines = formatSnapshotTable(sorted).split('\n');
    expect(lines[0]).toMatch(/^IMAGE\s+SERVICE\s+CLIENT\s+TAKEN\s+SIZE$/);
    expect(lines[1]).toMatch(/t2\s+app\s+acme\s+2026-11-21 09:00:00Z\s+999B$/);
    expect(lines[2]).toMatch(/123MB$/);
  });
});
