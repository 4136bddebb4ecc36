// snapshotData without dockerd: which volumes it copies, that a failed copy leaves no half snapshot, and the labels that keep the
// snapshot out of `down -v`'s reach.
import { describe, expect, test } from 'vitest';
import type { Engine, TaskSpec } from '../../src/engine/port.js';
import type { Labels, ObservedVolume } from '../../src/model/index.js';
import { DataLabel, listDataSnapshots, snapshotData } from '../../src/ops/data-snapshot.js';
import { container, service, stack } from './stack-factory.js';

function stubEngine(opts: { copyExit?: number } = {}) {
  const calls: string[] = [];
  const volumes: ObservedVolume[] = [
    { name: 'demo_dbdata', labels: { 'dev.berth.project': 'demo', 'dev.berth.volume': 'dbdata' } },
  ];
  const matches = (v: ObservedVolume, sel: string) => {
    const [k, val] = sel.split('=');
    return val === undefined ? k! in v.labels : v.labels[k!] === val;
  };
  const engine = {
    listVolumes: async (f: { labels?: string[] }) =>
      volumes.filter((v) => (f.labels ?? []).every((s) => matches(v, s))),
    listContainers: async () => [
      container({ service: 'db', replica: 1, state: 'exited', labels: { 'dev.berth.project': 'demo' } }),
      container({ service: 'web', replica: 1, labels: { 'dev.berth.project': 'demo' } }),
    ],
    inspectImage: async (ref: string) => ({ id: ref, tags: [ref], labels: {}, sizeBytes: 1 }),
    createLabelledVolume: async (name: string, labels: Labels) => {
      calls.push(`create ${name}`);
      volumes.push({ name, labels });
    },
    removeVolume: async (name: string) => {
      calls.push(`remove ${name}`);
      volumes.splice(
        volumes.findIndex((v) => v.name === name),
        1,
      );
    },
    pauseContainer: async (id: string) => void calls.push(`pause ${id.slice(0, 3)}`),
    unpauseContainer: async (id: string) => void calls.push(`unpause ${id.slice(0, 3)}`),
    runTask: async (t: TaskSpec) => {
      calls.push(`copy ${t.mounts.map((m) => `${m.volume}${m.readOnly ? ':ro' : ''}`).join(' ')}`);
      return { exitCode: opts.copyExit ?? 0, output: ['cp: boom'] };
    },
  };
  return { engine: engine as unknown as Engine, calls, volumes };
}

const demo = () =>
  stack(
    [
      service('db', { volumes: [{ type: 'volume', source: 'dbdata', target: '/data', read_only: false }] }),
      service('web'),
    ],
    {
      client: 'acme',
      volumes: {
        dbdata: { name: 'demo_dbdata', driver_opts: {}, external: false, labels: {} },
        cache: { name: 'demo_cache', driver_opts: {}, external: false, labels: {} }, // not created yet
        shared: { name: 'elsewhere', driver_opts: {}, external: true, labels: {} },
      },
    },
  );

describe('snapshotData', () => {
  test('copies the existing own volumes (a stopped client: nothing to stop), labelled without the project label', async () => {
    const { engine, calls, volumes } = stubEngine();
    const r = await snapshotData({ engine }, demo(), {
      tag: 'before',
      now: new Date('2026-11-30T07:00:00Z'),
    });
    expect(calls).toEqual([
      'create berth-data-demo-dbdata-before',
      'copy demo_dbdata:ro berth-data-demo-dbdata-before',
    ]);
    expect(r).toMatchObject({
      tag: 'before',
      volumes: { dbdata: 'berth-data-demo-dbdata-before' },
      stopped: [],
    });
    const snap = volumes.find((v) => v.name === 'berth-data-demo-dbdata-before')!;
    expect(snap.labels['dev.berth.project']).toBeUndefined();
    expect(snap.labels).toMatchObject({
      [DataLabel.tag]: 'before',
      [DataLabel.of]: 'demo',
      'dev.berth.client': 'acme',
      'dev.berth.volume': 'dbdata',
    });
    const list = await listDataSnapshots({ engine }, { project: 'demo' });
    expect(list).toEqual([
      expect.objectContaining({ tag: 'before', client: 'acme', time: '2026-11-30T07:00:00.000Z' }),
    ]);
    await expect(snapshotData({ engine }, demo(), { tag: 'before' })).rejects.toThrow(
      /already has a data snapshot/,
    );
  });

  test('a failed copy leaves no snapshot behind', async () => {
    const { engine, calls, volumes } = stubEngine({ copyExit: 1 });
    await expect(snapshotData({ engine }, demo(), { tag: 't1' })).rejects.toThrow(/helper exited 1/);
    expect(calls.slice(-1)).toEqual(['remove berth-data-demo-dbdata-t1']);
    expect(volumes.map((v) => v.name)).toEqual(['demo_dbdata']);
  });
});
