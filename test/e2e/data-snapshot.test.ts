// Data snapshots on the demo stack (lb → nginx → app ×2 → db + store): acme's visits are saved, more visits are
// made, `restore` puts the count back where the snapshot was; globex's data is untouched; the snapshot survives
// `down -v` and restores into a fresh client. Runs on a copy of fixtures/demo under a unique stack name and port.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { berthOk, copyStack, httpGet, portInto, type StackCopy } from './clients-support.js';
import { docker, execIn } from './helpers.js';

let demo: StackCopy;
let base: string;

beforeAll(async () => {
  demo = copyStack('demo', 'clients-data');
  const port = await portInto(demo, 'BERTH_DEMO_PORT');
  base = `http://127.0.0.1:${port}`;
});

const snapshotVolumes = async () =>
  (
    (
      await docker.listVolumes({
        filters: JSON.stringify({ label: ['dev.berth.data-snapshot', `dev.berth.stack=${demo.name}`] }),
      })
    ).Volumes ?? []
  ).map((v) => v.Name);

afterAll(async () => {
  if (!demo) return;
  try {
    // The snapshot volumes carry no project label on purpose (down -v must not match them): remove ours here.
    for (const name of await snapshotVolumes())
      await docker
        .getVolume(name)
        .remove()
        .catch(() => {});
  } finally {
    await demo.cleanup();
  }
});

interface Visit {
  client: string;
  db: number;
  store: number;
}

/**
 * One counted visit. Right after a restore the app's pooled database connections are stale: the app drops a
 * broken one and reconnects on the next request, answering `{error}` meanwhile, so retry until it counts.
 */
async function visit(): Promise<Visit> {
  const deadline = Date.now() + 240_000;
  for (;;) {
    const left = deadline - Date.now();
    const v = JSON.parse(await httpGet(`${base}/api/visit`, Math.max(left, 1000))) as Visit & {
      error?: string;
    };
    if (!v.error) return v;
    if (left <= 0) throw new Error(`/api/visit kept failing: ${v.error}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const acme = (args: string[]) => berthOk(['--client', 'acme', ...args], demo.dir);

test('snapshot --data, more visits, restore → the count continues from the snapshot; survives down -v', async () => {
  // globex (its store only: a database start costs minutes at load) holds data that must not move
  const globex = demo.project('globex');
  await berthOk(['--client', 'globex', 'up', '-d', '--wait', 'store'], demo.dir);
  expect(await execIn(globex, 'store', ['redis-cli', 'set', 'visits', '41'])).toMatch(/OK/);
  await berthOk(['--client', 'globex', 'stop'], demo.dir);

  // not --wait: at load the harness's per-command limit (170 s) is shorter than a first start; visit() waits
  await acme(['up', '-d']);
  expect(await visit()).toMatchObject({ client: 'acme', db: 1 });
  expect(await visit()).toMatchObject({ client: 'acme', db: 2, store: 2 });

  const snap = await acme(['snapshot', '--data', '--tag', 'before']);
  console.log(`snapshot --data of the demo (acme): ${(snap.ms / 1000).toFixed(2)} s`);
  expect(snap.stdout.trim().split('\n').at(-1)).toBe('before'); // after the stop/start progress lines
  // db and store were stopped for the copy and are healthy again: the next visit counts on
  expect(await visit()).toMatchObject({ client: 'acme', db: 3, store: 3 });
  expect(await visit()).toMatchObject({ client: 'acme', db: 4, store: 4 });

  const list = JSON.parse(
    (await acme(['snapshot', '--data', '--list', '--format', 'json'])).stdout,
  ) as Array<{
    tag: string;
    client: string;
    volumes: Record<string, string>;
    sizeBytes: number;
  }>;
  expect(list).toHaveLength(1);
  expect(list[0]).toMatchObject({ tag: 'before', client: 'acme' });
  expect(Object.keys(list[0]!.volumes).sort()).toEqual(['dbdata', 'storedata']);
  expect(list[0]!.sizeBytes).toBeGreaterThan(1_000_000); // a PostgreSQL cluster is tens of MB
  // a tag is taken once per client
  const again = await berthOk(['--client', 'acme', 'snapshot', '--data', '--tag', 'before'], demo.dir).catch(
    (e: Error) => e,
  );
  expect(String(again)).toMatch(/already has a data snapshot before/);

  const restore = await acme(['restore', 'before']);
  console.log(
    `restore of the demo (acme, db + store stopped, restored, healthy): ${(restore.ms / 1000).toFixed(2)} s`,
  );
  expect(restore.stderr).toMatch(/restored into .*acme/);
  expect(await visit()).toMatchObject({ client: 'acme', db: 3, store: 3 });

  // globex's data is untouched
  await berthOk(['--client', 'globex', 'start', 'store'], demo.dir);
  expect((await execIn(globex, 'store', ['redis-cli', 'get', 'visits'])).trim()).toMatch(/41$/);
  await berthOk(['--client', 'globex', 'stop'], demo.dir);

  // down -v removes acme's volumes but never the snapshot; a fresh acme restored from it counts on from it
  await acme(['down', '-v']);
  expect((await snapshotVolumes()).sort()).toEqual(
    Object.values(list[0]!.volumes)
      .map((n) => n)
      .sort(),
  );
  await acme(['restore', 'before']);
  await acme(['up', '-d']);
  expect(await visit()).toMatchObject({ client: 'acme', db: 3, store: 3 });

  await acme(['snapshot', '--data', '--rm', 'before']);
  expect(await snapshotVolumes()).toEqual([]);
}, 900_000);
