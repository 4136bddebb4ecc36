// berth on Podman beyond up/down: build (the classic builder through podman's compat API, with a named
// context), pre_start and post_start hooks, run, cp both ways, snapshot (a container commit) with --list and
// diff, snapshot --data and restore (volumes), watch (sync) and the UI. One stack is built and brought up once;
// the tests run in order on it, each leaving it running. Every engine call goes to podman's socket (the
// project's DOCKER_HOST); nothing is pulled: the build is FROM berth/busybox, which the global setup loaded into
// podman.
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { berth, berthOk, ROOT, type Run } from '../e2e/clients-support.js';
import { cleanupProject, docker, execIn, uniqueProject, until } from '../e2e/helpers.js';
import { terminal } from '../e2e/terminal.js';
import { collect, spawnBerth } from '../e2e/up-cli.js';

const project = uniqueProject('parity');
const image = `${project}-app:dev`;
let dir: string;
let built: Run;
let watcher: ChildProcess | undefined;
const term = terminal(project, 60_000);

const stack = `name: ${project}
services:
  app:
    image: ${image}
    build:
      context: .
      additional_contexts:
        extra: ./extra
    command: ["sh", "-c", "cat /scratch/x /data/pre > /data/saw; echo app up; exec sleep 1000000"]
    stop_signal: SIGKILL
    volumes:
      - data:/data
      - /scratch
    pre_start:
      - command: sh -c 'echo pre > /data/pre; echo anon > /scratch/x'
    post_start:
      - command: sh -c 'echo post-$$WHO > /data/post'
        environment: { WHO: hook }
    develop:
      watch:
        - path: ./src
          action: sync
          target: /app/src
volumes:
  data:
`;

const filters = (...label: string[]) => JSON.stringify({ label });
const containersLabelled = (...label: string[]) =>
  docker.listContainers({ all: true, filters: filters(...label) });

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'berth-parity-'));
  mkdirSync(path.join(dir, 'src'));
  writeFileSync(path.join(dir, 'src/baked.txt'), 'baked in\n');
  mkdirSync(path.join(dir, 'extra'));
  writeFileSync(path.join(dir, 'extra/named.txt'), 'from a named context\n');
  writeFileSync(
    path.join(dir, 'Dockerfile'),
    'FROM berth/busybox\nCOPY src/baked.txt /baked.txt\nCOPY --from=extra named.txt /named.txt\nENV FLAVOUR=podman\n',
  );
  writeFileSync(path.join(dir, 'berth.yaml'), stack);
  built = await berth(['build'], dir);
  await berthOk(['up', '-d', '--wait'], dir);
});

afterAll(async () => {
  term.close();
  if (watcher && watcher.exitCode === null) watcher.kill('SIGKILL');
  await cleanupProject(project);
  // data snapshots carry no project label (down -v must not match them); images are berth's by stack label
  const { Volumes } = await docker.listVolumes({ filters: filters(`dev.berth.data-of=${project}`) });
  for (const v of Volumes ?? [])
    await docker
      .getVolume(v.Name)
      .remove()
      .catch(() => {});
  const images = [
    ...(await docker.listImages({ filters: filters(`dev.berth.stack=${project}`) })),
    ...(await docker.listImages({ filters: filters(`dev.berth.snapshot-project=${project}`) })),
  ];
  for (const i of images)
    await docker
      .getImage(i.Id)
      .remove({ force: true })
      .catch(() => {});
  rmSync(dir, { recursive: true, force: true });
});

test('build: the classic builder through podman, the image tagged and labelled, the service runs from it', async () => {
  expect(built.code, built.stderr).toBe(0);
  expect(built.stdout).toMatch(/^app \| STEP 2\/\d+: COPY src\/baked.txt \/baked.txt$/m);
  expect(built.stdout).toMatch(/built \S+ \([0-9a-f]{12}\) in /);
  const info = await docker.getImage(image).inspect();
  expect(info.Config.Labels).toMatchObject({ 'dev.berth.service': 'app', 'dev.berth.stack': project });
  expect(await execIn(project, 'app', ['cat', '/baked.txt'])).toBe('baked in\n');
  // a folder named in additional_contexts (imported as an image for the build, then removed)
  expect(await execIn(project, 'app', ['cat', '/named.txt'])).toBe('from a named context\n');
  expect(await docker.listImages({ filters: filters('dev.berth.named-context') })).toEqual([]);
  // built once: a second up finds the image and builds nothing
  const again = await berthOk(['up', '-d'], dir);
  expect(again.stdout + again.stderr).not.toMatch(/building|Recreated|Created/);
  // no memo on Podman (its lists need more calls than the memo check makes): every no-op up runs in full
  for (let i = 0; i < 2; i++) {
    const traced = await berthOk(['up', '-d'], dir, { BERTH_MEMO_TRACE: '1' });
    expect(traced.stderr).toMatch(/berth: memo miss \(no memo\)/);
  }
});

test("hooks: pre_start in a one-off sharing the new container's mounts, post_start exec'd after the start", async () => {
  // the service saw, when it started, what pre_start wrote into a named and an anonymous volume
  expect(await execIn(project, 'app', ['cat', '/data/saw'])).toBe('anon\npre\n');
  expect(await execIn(project, 'app', ['cat', '/data/post'])).toBe('post-hook\n');
  // no pre_start one-off is left behind
  expect((await containersLabelled(`dev.berth.project=${project}`)).map((c) => c.Names[0])).toEqual([
    `/${project}-app-1`,
  ]);
});

test("run: a one-off of the service with its image and environment, the container's exit code, --rm", async () => {
  const r = await berth(
    [
      'run',
      '--rm',
      '-T',
      '-e',
      'EXTRA=yes',
      'app',
      'sh',
      '-c',
      'cat /baked.txt; echo $FLAVOUR $EXTRA; exit 4',
    ],
    dir,
  );
  expect(r.code, r.stderr).toBe(4);
  expect(r.stdout).toBe('baked in\npodman yes\n');
  expect(await containersLabelled(`dev.berth.project=${project}`, 'com.docker.compose.oneoff=True')).toEqual(
    [],
  );
});

test('cp: a file into the container and out again', async () => {
  writeFileSync(path.join(dir, 'up.txt'), 'from the host\n');
  await berthOk(['cp', path.join(dir, 'up.txt'), 'app:/data/'], dir);
  expect(await execIn(project, 'app', ['cat', '/data/up.txt'])).toBe('from the host\n');
  await berthOk(['cp', 'app:/data/up.txt', path.join(dir, 'down.txt')], dir);
  expect(readFileSync(path.join(dir, 'down.txt'), 'utf8')).toBe('from the host\n');
});

test('snapshot: the container committed, labelled, listed, with the file written before; diff shows it', async () => {
  await execIn(project, 'app', ['sh', '-c', 'echo tinkered > /tinker.txt']);
  const diff = await berthOk(['diff', 'app'], dir);
  expect(diff.stdout).toMatch(/^A \/tinker.txt$/m);
  const snap = await berthOk(['snapshot', '-t', 'before', 'app'], dir);
  expect(snap.stdout.trim()).toBe(`berth-snapshot/${project}-app:before`);
  const list = JSON.parse((await berthOk(['snapshot', '--list', '--format', 'json'], dir)).stdout);
  expect(list).toEqual([expect.objectContaining({ service: 'app', project })]);
  expect(list[0].ref).toMatch(new RegExp(`berth-snapshot/${project}-app:before$`));
  // a container from the snapshot has the file (labelled with the project, so the cleanup removes it)
  const c = await docker.createContainer({
    Image: `berth-snapshot/${project}-app:before`,
    Cmd: ['cat', '/tinker.txt'],
    Labels: { 'dev.berth.project': project },
  });
  try {
    await c.start();
    expect((await c.wait()).StatusCode).toBe(0);
    expect((await c.logs({ stdout: true })).toString()).toContain('tinkered');
  } finally {
    await c.remove({ v: true }); // and the anonymous volumes the image's VOLUMEs gave it
  }
});

test('snapshot --data and restore: the named volume copied and put back', async () => {
  await execIn(project, 'app', ['sh', '-c', 'echo one > /data/v.txt']);
  await berthOk(['snapshot', '--data', '--tag', 'one'], dir);
  await execIn(project, 'app', ['sh', '-c', 'echo two > /data/v.txt']);
  await berthOk(['restore', 'one'], dir);
  expect(await execIn(project, 'app', ['cat', '/data/v.txt'])).toBe('one\n');
});

test('watch: an edit under a sync rule reaches the running container', async () => {
  watcher = spawnBerth(['watch'], {}, dir);
  const run = collect(watcher);
  let out = '';
  watcher.stdout?.on('data', (d) => {
    out += d;
  });
  await until('"Watch enabled"', async () => (out.includes('Watch enabled') ? true : undefined));
  const t0 = Date.now();
  writeFileSync(path.join(dir, 'src/edited.txt'), 'edited on the host\n');
  await until('the edit in the container', async () =>
    (await execIn(project, 'app', ['cat', '/app/src/edited.txt'])) === 'edited on the host\n'
      ? true
      : undefined,
  );
  console.log(`podman watch: an edit in the container after ${Date.now() - t0} ms`);
  watcher.kill('SIGINT');
  const r = await run;
  expect(r.code, r.stderr).toBe(0);
  expect(out).toMatch(/Syncing service "app" after 1 changed file/);
});

test('ui: the table and the log pane on podman, r restarts, q leaves it running', async () => {
  // tmux runs the command in its server's environment, not this one: DOCKER_HOST goes on the command line
  term.open(
    `cd ${dir} && DOCKER_HOST=${process.env.DOCKER_HOST} NO_COLOR=1 ${process.execPath} ${ROOT}/bin/berth.js ui; echo BERTH-EXIT=$?; sleep 120`,
  );
  const screen = await term.until(
    (s) => /^[ ›] app +running /m.test(s) && /^app \| app up$/m.test(s),
    'the app running and its log line',
  );
  expect(screen).toMatch(/engine podman 4\./);
  const [before] = await containersLabelled(`dev.berth.project=${project}`, 'dev.berth.service=app');
  if (!before) throw new Error('no app container');
  const startedAt = async () => (await docker.getContainer(before.Id).inspect()).State.StartedAt;
  const started = await startedAt();
  term.keys('r');
  await term.until((s) => /restarting app: done/.test(s), 'the restart');
  expect(await startedAt()).not.toBe(started);
  term.keys('q');
  await term.until((s) => s.includes('BERTH-EXIT=0'), 'the UI to quit');
  expect((await docker.getContainer(before.Id).inspect()).State.Running).toBe(true);
});
