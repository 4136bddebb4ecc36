// Environment snapshots: diff shows what a test wrote in a container, snapshot commits it to a labelled image
// that a client overlay can run again, export writes tars that `docker load` / `docker import` accept.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import {
  berth,
  berthOk,
  copyStack,
  freePort,
  portInto,
  type StackCopy,
  writeInto,
} from './clients-support.js';
import { docker, execIn } from './helpers.js';

let shop: StackCopy;
let repo: string;
const extraImages: string[] = [];

const dockerCli = (...args: string[]) => execFileSync('docker', args, { encoding: 'utf8', stdio: 'pipe' });

beforeAll(async () => {
  shop = copyStack('clients/shop', 'snap');
  repo = `berth-snapshot/${shop.project('acme')}-web`;
  await portInto(shop, 'SHOP_PORT');
  await berthOk(['--client', 'acme', 'up', '-d', '--wait'], shop.dir);
  // tinker inside the running container: add a file, delete one from the image
  await execIn(shop.project('acme'), 'web', [
    'sh',
    '-c',
    'mkdir -p /work && echo tinkered > /work/note.txt && rm /bin/vi',
  ]);
});

afterAll(async () => {
  await shop?.cleanup();
  const snaps = await docker.listImages({ filters: JSON.stringify({ reference: [`${repo}:*`] }) });
  for (const ref of [...snaps.flatMap((i) => i.RepoTags ?? []), ...extraImages])
    await docker
      .getImage(ref)
      .remove({ force: true })
      .catch(() => {});
});

test('diff lists what changed in the container: added, changed, deleted', async () => {
  const r = await berthOk(['--client', 'acme', 'diff', 'web'], shop.dir);
  const lines = r.stdout.trim().split('\n');
  expect(lines).toContain('A /work/note.txt');
  expect(lines).toContain('D /bin/vi');
  expect(lines).toContain('C /bin');
  const json = JSON.parse(
    (await berthOk(['--client', 'acme', 'diff', 'web', '--format', 'json'], shop.dir)).stdout,
  );
  expect(json).toContainEqual({ path: '/work/note.txt', kind: 'added' });
  const bad = await berth(['--client', 'acme', 'diff', 'nosuch'], shop.dir);
  expect(bad.code).toBe(2);
  expect(bad.stderr).toMatch(/no such service: nosuch/);
});

test('snapshot commits a labelled image that a client overlay runs again, with the file written before', async () => {
  const r = await berthOk(['--client', 'acme', 'snapshot', 'web', '--tag', 't1'], shop.dir);
  expect(r.stdout.trim()).toBe(`${repo}:t1`);
  const info = await docker.getImage(`${repo}:t1`).inspect();
  expect(info.Config.Labels).toMatchObject({
    'dev.berth.snapshot-project': shop.project('acme'),
    'dev.berth.snapshot-stack': shop.name,
    'dev.berth.snapshot-service': 'web',
    'dev.berth.snapshot-client': 'acme',
  });
  expect(Date.parse(info.Config.Labels!['dev.berth.snapshot-time']!)).toBeGreaterThan(Date.now() - 120_000);
  // the container's identity labels, which a container made from the image would inherit, are emptied
  const identity = Object.entries(info.Config.Labels!).filter(
    ([k]) =>
      !k.startsWith('dev.berth.snapshot-') &&
      (k.startsWith('dev.berth.') || k.startsWith('com.docker.compose.')),
  );
  expect(identity.map(([k]) => k)).toEqual(
    expect.arrayContaining(['dev.berth.project', 'dev.berth.replica']),
  );
  expect(identity.filter(([, v]) => v !== '')).toEqual([]);

  // a container someone makes from the snapshot is nobody's project: `up` leaves it alone, `ls` ignores it
  const copy = await docker.createContainer({
    Image: `${repo}:t1`,
    name: `${shop.project('acme')}-copy`,
    Cmd: ['true'],
  });
  try {
    const again = await berthOk(['--client', 'acme', 'up', '-d'], shop.dir);
    expect(again.stdout + again.stderr).not.toMatch(/Removed|orphan/);
    expect((await copy.inspect()).Name).toBe(`/${shop.project('acme')}-copy`);
    const ls = JSON.parse((await berthOk(['ls', '--all', '--format', 'json'], shop.dir)).stdout) as Array<{
      name: string;
    }>;
    expect(ls.map((r) => r.name)).not.toContain('');
  } finally {
    await copy.remove({ force: true, v: true });
  }

  // taking t1 again moves the tag and removes the superseded snapshot image
  await berthOk(['--client', 'acme', 'snapshot', 'web', '--tag', 't1'], shop.dir);
  await expect(docker.getImage(info.Id).inspect()).rejects.toThrow();
  const list = JSON.parse(
    (await berthOk(['--client', 'acme', 'snapshot', '--list', '--format', 'json'], shop.dir)).stdout,
  );
  expect(list).toEqual([expect.objectContaining({ ref: `${repo}:t1`, service: 'web', client: 'acme' })]);
  // the list is per stack: another client of the same stack sees it too
  const table = await berthOk(['--client', 'globex', 'snapshot', '--list'], shop.dir);
  expect(table.stdout).toMatch(new RegExp(`${repo}:t1\\s+web\\s+acme`));

  // a new client runs the service from the snapshot, on its own host port
  writeInto(shop, 'clients/restored.yaml', `services:\n  web:\n    image: ${repo}:t1\n`);
  writeInto(shop, 'clients/restored.env', `CLIENT=restored\nSHOP_PORT=${await freePort()}\n`);
  await berthOk(['--client', 'restored', 'up', '-d', '--wait'], shop.dir);
  expect(await execIn(shop.project('restored'), 'web', ['cat', '/work/note.txt'])).toBe('tinkered\n');
});

test('export writes tars that docker load and docker import accept', async () => {
  const imageTar = path.join(shop.dir, 'web-image.tar');
  const r = await berthOk(['--client', 'acme', 'export', 'web', '-o', imageTar], shop.dir);
  expect(existsSync(imageTar)).toBe(true);
  const ref = /as image (\S+)/.exec(r.stderr)?.[1];
  expect(ref).toMatch(new RegExp(`^${repo}:export-`));
  extraImages.push(ref!);
  // the export's image is not left behind locally: the tar is the product
  await expect(docker.getImage(ref!).inspect()).rejects.toThrow();
  expect(dockerCli('load', '-i', imageTar)).toContain(`Loaded image: ${ref}`);
  expect(dockerCli('run', '--rm', '--network', 'none', ref!, 'cat', '/work/note.txt')).toBe('tinkered\n');

  const rootfsTar = path.join(shop.dir, 'web-rootfs.tar');
  await berthOk(['--client', 'acme', 'export', 'web', '--rootfs', '-o', rootfsTar], shop.dir);
  const imported = `${shop.name}-rootfs:test`;
  extraImages.push(imported);
  dockerCli('import', rootfsTar, imported);
  expect(dockerCli('run', '--rm', '--network', 'none', imported, '/bin/cat', '/work/note.txt')).toBe(
    'tinkered\n',
  );

  const snapTar = path.join(shop.dir, 'web-t1.tar');
  await berthOk(['--client', 'acme', 'export', 'web', '--snapshot', 't1', '-o', snapTar], shop.dir);
  expect(dockerCli('load', '-i', snapTar)).toContain(`${repo}:t1`);

  const missing = await berth(
    ['--client', 'acme', 'export', 'web', '--snapshot', 'nope', '-o', snapTar],
    shop.dir,
  );
  expect(missing.code).toBe(2);
  expect(missing.stderr).toMatch(/no snapshot .*:nope/);
  const noDir = await berth(['--client', 'acme', 'export', 'web', '-o', '/nonexistent/dir/x.tar'], shop.dir);
  expect(noDir.code).toBe(2);
  expect(noDir.stderr).toMatch(/cannot write/);
});
