// berth pull (and up's pull of a missing image) against a real registry on 127.0.0.1, never any other.
import { rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { cleanupProject, docker, uniqueProject } from './helpers.js';
import { type LocalRegistry, startRegistry } from './registry-support.js';
import { berth, engineContainers, freePort, ROOT, tempCompose } from './up-cli.js';

const name = uniqueProject('pull');
let registry: LocalRegistry;
let dir: string;
let file: string;
let ref: string;
let pushedId: string;
let missingRef: string;
let deadRef: string;

const present = (r: string) =>
  docker
    .getImage(r)
    .inspect()
    .then(() => true)
    .catch(() => false);

beforeAll(async () => {
  registry = await startRegistry();
  ({ ref, id: pushedId } = await registry.publish('busybox'));
  missingRef = `${registry.host}/${ref.split('/')[1]}/never-pushed:1`;
  // a port nothing listens on: the registry is unreachable
  deadRef = `127.0.0.1:${await freePort()}/bt-dead/busybox:1`;
  registry.refs.add(missingRef);
  ({ dir, file } = tempCompose(
    'pull',
    `name: ${name}
services:
  web:
    image: ${ref}
    command: ["sleep", "300"]
  also:
    image: ${ref}
  built:
    build: ${path.join(ROOT, 'fixtures/build/app')}
  gone:
    image: ${missingRef}
  dead:
    image: ${deadRef}
`,
  ));
}, 300_000);

afterAll(async () => {
  await cleanupProject(name);
  rmSync(dir, { recursive: true, force: true });
  await registry?.stop();
});

test('pulls an image from the registry with per-layer progress lines, once per image', async () => {
  expect(await present(ref)).toBe(false);
  const r = await berth(['-f', file, 'pull', 'web', 'also', 'built']);
  expect(r.code).toBe(0);
  expect(r.stdout).toContain(`web | pulling ${ref}`);
  // the random layer is downloaded (base layers are already here); each step once, no byte-count spam
  expect(r.stdout).toMatch(/^web \| [0-9a-f]{12}: Already exists$/m);
  expect(r.stdout).toMatch(/^web \| [0-9a-f]{12}: Pulling fs layer$/m);
  expect(r.stdout).toMatch(/^web \| [0-9a-f]{12}: Downloading \(\d+(\.\d)? kB\)$/m);
  expect(r.stdout).toMatch(/^web \| [0-9a-f]{12}: Pull complete$/m);
  expect(r.stdout.match(/: Downloading/g)?.length).toBe(1);
  expect(r.stdout).toMatch(
    new RegExp(`^web +\\| pulled ${ref.replace(/[.]/g, '\\.')} \\([0-9a-f]{12}\\)$`, 'm'),
  );
  // `also` uses the same image: pulled once, under the first service's name
  expect(r.stdout).not.toMatch(/^also /m);
  expect(r.stderr).toContain('built skipped: it is built');
  expect(await present(ref)).toBe(true);
  // the pulled image is the pushed one
  expect((await docker.getImage(ref).inspect()).Id).toBe(pushedId);
});

test('an image the registry does not have: exit 1 naming the image and the way out; --ignore-pull-failures carries on', async () => {
  const r = await berth(['-f', file, 'pull', 'gone']);
  expect(r.code).toBe(1);
  expect(r.stderr).toContain(`cannot pull image ${missingRef} for service "gone"`);
  expect(r.stderr).toContain('berth build gone');
  expect(r.stderr).not.toMatch(/\n\s+at /);
  const ignored = await berth(['-f', file, 'pull', '--ignore-pull-failures', 'gone', 'web']);
  expect(ignored.code).toBe(0);
  expect(ignored.stderr).toContain(`warning: cannot pull image ${missingRef}`);
});

test('an unreachable registry fails clearly, quickly', async () => {
  const r = await berth(['-f', file, 'pull', '-q', 'dead']);
  expect(r.code).toBe(1);
  expect(r.stdout).toBe('');
  expect(r.stderr).toContain(`cannot pull image ${deadRef} for service "dead"`);
  expect(r.stderr).toMatch(/connection refused|dial tcp/);
  expect(r.ms).toBeLessThan(30_000);
});

test('up pulls a missing image from the registry and starts the service', async () => {
  await docker
    .getImage(ref)
    .remove()
    .catch(() => {});
  expect(await present(ref)).toBe(false);
  const r = await berth(['-p', name, '-f', file, 'up', '-d', 'web']);
  expect(r.stderr).not.toContain('internal error');
  expect(r.code).toBe(0);
  expect(await present(ref)).toBe(true);
  const [c] = await engineContainers(name);
  expect(c?.state).toBe('running');
  expect(c?.name).toBe(`${name}-web-1`);
});
