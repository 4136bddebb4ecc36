// `down --rmi local|all` on the real engine, for a client's project: `local` removes only the image berth built
// under its default name; `all` removes both built images and the images the services name, untags a name
// whose image has another tag (berth/busybox survives its throwaway tag), and leaves an image another
// project's container still uses with Compose's warning, exiting 0.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { berth, berthOk } from './clients-support.js';
import { cleanupProject, docker, uniqueProject } from './helpers.js';

const name = uniqueProject('rmi');
const project = `${name}-acme`;
const other = uniqueProject('rmi');
const defaultBuilt = `${name}-web:latest`; // the stack's name, not the client project's
const namedBuilt = `${name}/x:1`;
const throwaway = `${name}-tag:x`; // a second name of berth/busybox's image
const shared = `${name}-shared:x`; // an image of its own, used by the other project too
const dir = mkdtempSync(path.join(tmpdir(), 'berth-rmi-'));
const otherDir = mkdtempSync(path.join(tmpdir(), 'berth-rmi-other-'));

const sleeper = `    command: ["sleep", "3600"]\n    stop_signal: SIGKILL\n`;

beforeAll(async () => {
  for (const svc of ['web', 'api']) {
    mkdirSync(path.join(dir, svc));
    writeFileSync(
      path.join(dir, svc, 'Dockerfile'),
      `FROM berth/busybox:latest\nLABEL bt.rmi=${name}-${svc}\n`,
    );
  }
  writeFileSync(
    path.join(dir, 'berth.yaml'),
    `name: ${name}
services:
  web:
    build: ./web
${sleeper}  api:
    build: ./api
    image: ${namedBuilt}
${sleeper}  tool:
    image: ${throwaway}
${sleeper}  cache:
    image: ${shared}
${sleeper}`,
  );
  mkdirSync(path.join(dir, 'clients'));
  writeFileSync(path.join(dir, 'clients/acme.env'), 'CLIENT=acme\n');
  writeFileSync(
    path.join(otherDir, 'berth.yaml'),
    `name: ${other}\nservices:\n  cache:\n    image: ${shared}\n${sleeper}`,
  );

  await docker.getImage('berth/busybox:latest').tag({ repo: `${name}-tag`, tag: 'x' });
  // a distinct image (its own ID, one tag) that berth did not make: a commit of an unstarted container
  const c = await docker.createContainer({ Image: 'berth/busybox:latest', Labels: { 'bt.rmi': name } });
  try {
    await c.commit({ repo: `${name}-shared`, tag: 'x', changes: [`LABEL bt.rmi=${name}`] });
  } finally {
    await c.remove({ force: true });
  }
  await berthOk(['up', '-d'], otherDir);
});

afterAll(async () => {
  try {
    await cleanupProject(project);
    await cleanupProject(other);
    for (const ref of [defaultBuilt, namedBuilt, throwaway, shared])
      await docker
        .getImage(ref)
        .remove()
        .catch(() => {});
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(otherDir, { recursive: true, force: true });
  }
});

const exists = (ref: string) =>
  docker
    .getImage(ref)
    .inspect()
    .then(
      () => true,
      () => false,
    );

test('down --rmi local removes only the image built under the default name, after the containers', async () => {
  await berthOk(['--client', 'acme', 'up', '-d'], dir);
  const r = await berthOk(['--client', 'acme', 'down', '--rmi', 'local'], dir);
  expect(r.stdout).toMatch(new RegExp(`✔ Image ${defaultBuilt}  Removed`));
  expect(r.stdout).not.toMatch(/Image .*(x:1|-tag:x|-shared:x)/);
  expect(await exists(defaultBuilt)).toBe(false);
  for (const ref of [namedBuilt, throwaway, shared, 'berth/busybox:latest'])
    expect(await exists(ref)).toBe(true);
  const left = await docker.listContainers({
    all: true,
    filters: JSON.stringify({ label: [`dev.berth.project=${project}`] }),
  });
  expect(left).toEqual([]);
});

test('down --rmi all removes the built and named images, warns for the one in use, never deletes berth/busybox', async () => {
  await berthOk(['--client', 'acme', 'up', '-d'], dir);
  expect(await exists(defaultBuilt)).toBe(true);
  const r = await berth(['--client', 'acme', 'down', '--rmi', 'all'], dir);
  expect(r.code, r.stderr).toBe(0);
  for (const ref of [defaultBuilt, namedBuilt, throwaway]) {
    expect(r.stdout).toContain(`✔ Image ${ref}  Removed`);
    expect(await exists(ref)).toBe(false);
  }
  expect(r.stderr).toContain(`Image ${shared}  Resource is still in use`);
  expect(await exists(shared)).toBe(true);
  expect(await exists('berth/busybox:latest')).toBe(true);
  // the other project's container is untouched
  const theirs = await docker.listContainers({
    filters: JSON.stringify({ label: [`dev.berth.project=${other}`] }),
  });
  expect(theirs.map((c) => c.State)).toEqual(['running']);
});
