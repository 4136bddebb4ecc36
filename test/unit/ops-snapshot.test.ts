// Container snapshots on the fake engine: the image keeps where it came from under its own labels, and none of
// the container's identity (a container made from it must not pass for a replica of the project).
import { expect, test } from 'vitest';
import { Label } from '../../src/model/index.js';
import { listSnapshots, snapshot } from '../../src/ops/snapshot.js';
import { up } from '../../src/ops/up.js';
import { FakeEngine } from '../support/fake-engine.js';
import { load } from './compose-helpers.js';

const shop = load({
  'compose.yaml': `name: shop
services:
  web:
    image: berth/busybox:latest
`,
});

test('a snapshot image names its origin and empties every berth and Compose identity label', async () => {
  const engine = new FakeEngine();
  engine.addImage('berth/busybox:latest', { labels: { 'dev.berth.service': 'web', 'org.example': 'kept' } });
  const ctx = { engine };
  await up(ctx, shop);
  const snap = await snapshot(ctx, { project: 'shop', stack: 'shop', service: 'web', tag: 't1' });
  expect(snap.ref).toBe('berth-snapshot/shop-web:t1');
  const labels = (await engine.inspectImage(snap.ref))!.labels;
  expect(labels).toMatchObject({
    [Label.snapshotProject]: 'shop',
    [Label.snapshotStack]: 'shop',
    [Label.snapshotService]: 'web',
    [Label.project]: '',
    [Label.replica]: '',
    [Label.configHash]: '',
    'com.docker.compose.project': '',
    'org.example': 'kept',
  });

  const listed = await listSnapshots(ctx, { stack: 'shop' });
  expect(listed.map((s) => [s.ref, s.project, s.service])).toEqual([
    ['berth-snapshot/shop-web:t1', 'shop', 'web'],
  ]);
  expect(await listSnapshots(ctx, { stack: 'other' })).toEqual([]);
  expect(await listSnapshots(ctx, { project: 'shop', service: 'db' })).toEqual([]);
});

test('a snapshot taken by an older berth (identity labels on the image) is still listed', async () => {
  const engine = new FakeEngine();
  engine.addImage('berth-snapshot/shop-acme-web:old', {
    labels: {
      [Label.project]: 'shop-acme',
      [Label.stack]: 'shop',
      [Label.service]: 'web',
      [Label.client]: 'acme',
      [Label.snapshotTime]: '2026-11-01T00:00:00.000Z',
    },
  });
  const listed = await listSnapshots({ engine }, { stack: 'shop' });
  expect(listed).toEqual([
    expect.objectContaining({
      ref: 'berth-snapshot/shop-acme-web:old',
      project: 'shop-acme',
      client: 'acme',
    }),
  ]);
});
