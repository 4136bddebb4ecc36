// The README's "run from a snapshot" recipe followed by `up --build` (and `build`): the service still has
// `build:` from the stack file, its image is now the snapshot, and a build would tag over the snapshot and then
// delete it as "the image it replaced". berth refuses, says why and what to do, and changes nothing: the
// snapshot keeps its image ID and tag, and the client keeps running from it.
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { berth, berthOk, containersOf } from './clients-support.js';
import { cleanupProject, docker, uniqueProject } from './helpers.js';

const name = uniqueProject('cl2-guard');
const built = `${name}/app:latest`;
const snapshot = `berth-snapshot/${name}-acme-app:before-upgrade`;
const dir = mkdtempSync(path.join(tmpdir(), 'berth-cl2-guard-'));

beforeAll(() => {
  writeFileSync(
    path.join(dir, 'berth.yaml'),
    `name: ${name}
services:
  app:
    build:
      dockerfile_inline: |
        FROM berth/busybox:latest
        RUN echo built > /built
    image: ${built}
    init: true
    command: ["sleep", "3600"]
    environment:
      CLIENT: \${CLIENT:-none}
`,
  );
  mkdirSync(path.join(dir, 'clients'));
  writeFileSync(path.join(dir, 'clients/acme.env'), 'CLIENT=acme\n');
});

afterAll(async () => {
  try {
    for (const p of [`${name}-acme`, `${name}-acme-restored`]) await cleanupProject(p);
    for (const ref of [snapshot, built])
      await docker
        .getImage(ref)
        .remove({ force: true })
        .catch(() => {});
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

const imageId = async (ref: string) => (await docker.getImage(ref).inspect()).Id;

test('snapshot, run from it, then up --build / build: refused with the reason; the snapshot is intact', async () => {
  await berthOk(['--client', 'acme', 'up', '-d'], dir);
  const snap = await berthOk(['--client', 'acme', 'snapshot', 'app', '--tag', 'before-upgrade'], dir);
  expect(snap.stdout).toContain(snapshot);
  const snapId = await imageId(snapshot);

  // The recipe: an overlay that runs the snapshot, the client's variables, `berth use`.
  writeFileSync(path.join(dir, 'clients/acme-restored.yaml'), `services:\n  app:\n    image: ${snapshot}\n`);
  cpSync(path.join(dir, 'clients/acme.env'), path.join(dir, 'clients/acme-restored.env'));
  await berthOk(['use', 'acme-restored'], dir);
  const running = await containersOf(`${name}-acme-restored`);
  expect([...running.values()].map((c) => c.state)).toEqual(['running']);

  for (const args of [['up', '-d', '--build'], ['build']]) {
    const r = await berth(args, dir);
    expect(r.code, `berth ${args.join(' ')}\n${r.stdout}${r.stderr}`).toBe(2);
    expect(r.stderr).toContain(
      `will not build service "app" onto ${snapshot}: that is a berth snapshot, and a build would replace it`,
    );
    // It names the overlay line that set the snapshot as the image: that is where the fix goes.
    expect(r.stderr).toMatch(/clients\/acme-restored\.yaml:2:\d+: will not build/);
    expect(r.stderr).toMatch(/remove `build:`|--no-build/);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(await imageId(snapshot)).toBe(snapId);
    const tags = (await docker.getImage(snapshot).inspect()).RepoTags;
    expect(tags).toContain(snapshot);
    expect(await containersOf(`${name}-acme-restored`)).toEqual(running);
  }
  // Without the build the client still runs from the snapshot.
  const again = await berthOk(['up', '-d', '--no-build'], dir);
  expect(again.stdout).toMatch(/Everything is up to date|Running/);
  expect(await imageId(snapshot)).toBe(snapId);
});
