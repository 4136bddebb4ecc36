// berth build on the real engine with the classic builder (DOCKER_BUILDKIT=0; BuildKit, the default on Docker,
// has its own file: buildkit.test.ts): contexts honour .dockerignore, args/target/inline Dockerfiles reach the
// engine, images are tagged `<stack>-<service>` and labelled, a failing step is reported as that step.
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { docker, uniqueProject } from './helpers.js';
import { berth as berthCli, ROOT, tempCompose } from './up-cli.js';

const berth = (args: string[]) => berthCli(args, { DOCKER_BUILDKIT: '0' });

const name = uniqueProject('build');
const context = path.join(ROOT, 'fixtures/build/app');
let dir: string;
let file: string;

const image = (service: string) => `${name}-${service}`;
/** Every image ID a test made, so a rebuild's untagged predecessor is removed too. */
const made = new Set<string>();
const remember = async (service: string) => {
  const info = await docker
    .getImage(image(service))
    .inspect()
    .catch(() => undefined);
  if (info) made.add(info.Id);
};
/** Output of a throwaway container of the image (no network: nothing here needs one). */
const runImage = (ref: string) =>
  execFileSync('docker', ['run', '--rm', '--network', 'none', ref], { encoding: 'utf8' });

beforeAll(() => {
  ({ dir, file } = tempCompose(
    'build',
    `name: ${name}
services:
  app:
    build:
      context: ${context}
      target: first
      args:
        GREETING: hello-from-args
      labels:
        com.example.team: qa
  staged:
    build:
      context: ${context}
      target: second
  inline:
    build:
      context: ${context}
      dockerfile_inline: |
        FROM berth/busybox:latest
        COPY keep.out /keep.out
        CMD ["cat", "/keep.out"]
  bad:
    build: ${path.join(ROOT, 'fixtures/build/broken')}
  plain:
    image: berth/busybox:latest
`,
  ));
});

afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  for (const s of ['app', 'staged', 'inline', 'bad']) await remember(s);
  // and anything else labelled with this test's project (a rebuild's untagged predecessor, intermediates)
  const labelled = await docker.listImages({
    all: true,
    filters: JSON.stringify({ label: [`dev.berth.stack=${name}`] }),
  });
  for (const i of labelled) made.add(i.Id);
  // twice: an image whose children are still there can only go once they are gone
  for (let pass = 0; pass < 2; pass++) {
    for (const id of made) {
      await docker
        .getImage(id)
        .remove({ force: true })
        .catch(() => {});
    }
  }
});

test('builds the named services in parallel, prefixed output, tagged and labelled images', async () => {
  const r = await berth(['-f', file, 'build', 'app', 'staged', 'inline']);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  expect(r.stdout).toMatch(/^app +\| Step 1\/\d+ : FROM berth\/busybox:latest AS first$/m);
  expect(r.stdout).toMatch(/^inline +\| built .*-inline \([0-9a-f]{12}\) in [\d.]+s$/m);

  const info = await docker.getImage(image('app')).inspect();
  expect(info.Config.Labels).toMatchObject({
    'dev.berth.stack': name,
    'dev.berth.service': 'app',
    'com.example.team': 'qa',
  });
  // args reached the build; .dockerignore kept secret/ and debug.out out, !keep.out brought keep.out back
  expect(runImage(image('app'))).toBe('hello-from-args\n. .. .dockerignore Dockerfile keep.out sub \n');
  expect(runImage(image('staged'))).toBe('second\n');
  expect(runImage(image('inline'))).toBe('kept\n');
});

test('the cache is used on a rebuild, and --no-cache skips it', async () => {
  const cached = await berth(['-f', file, 'build', 'app']);
  expect(cached.code).toBe(0);
  expect(cached.stdout).toMatch(/^app +\| +---> Using cache$/m);
  await remember('app');
  const before = (await docker.getImage(image('app')).inspect()).Id;
  const fresh = await berth(['-f', file, 'build', '--no-cache', 'app']);
  expect(fresh.code).toBe(0);
  expect(fresh.stdout).not.toMatch(/Using cache/);
  // the superseded image, untagged and used by no container, is removed rather than left dangling
  expect((await docker.getImage(image('app')).inspect()).Id).not.toBe(before);
  await expect(docker.getImage(before).inspect()).rejects.toMatchObject({ statusCode: 404 });
});

test('a failing Dockerfile step: exit 1, the step and the message, no stack trace', async () => {
  const r = await berth(['-f', file, 'build', 'bad']);
  expect(r.code).toBe(1);
  expect(r.stdout).toMatch(/^bad \| about to fail$/m);
  // berth's labels add LABEL steps at the end, so the total varies; the failing step is the second
  expect(r.stderr).toMatch(
    /build of service "bad" failed at Step 2\/\d+ : RUN echo about to fail && exit 3\n/,
  );
  expect(r.stderr).toContain('returned a non-zero code: 3');
  expect(r.stderr).not.toMatch(/\n\s+at /);
});

test('a service without build is skipped with a note; an unknown service is bad usage', async () => {
  const r = await berth(['-f', file, 'build', 'plain']);
  expect(r.code).toBe(0);
  expect(r.stderr).toContain('plain has no build section');
  const bad = await berth(['-f', file, 'build', 'nosuch']);
  expect(bad.code).toBe(2);
  expect(bad.stderr).toContain('no such service: nosuch');
});
