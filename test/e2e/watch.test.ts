// `berth watch` on the real engine: a file edit under a `sync` rule is in the running container within about a
// second (measured and printed, not asserted tightly), a deletion is removed there, a `sync+restart` edit
// restarts the container, and a Dockerfile change under a `rebuild` rule rebuilds the image and recreates the
// container. `up --watch` syncs beside the log feed and Ctrl-C stops it and the stack.
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { cleanupProject, docker, execInContainer, uniqueProject, until } from './helpers.js';
import { collect, engineContainers, type Run, stackCli, tempCompose } from './up-cli.js';

const project = uniqueProject('watch');
const stackFile = (name: string) => `name: ${name}
services:
  app:
    build: .
    command: ["sh", "-c", "while :; do sleep 1; done"]
    stop_signal: SIGKILL
    develop:
      watch:
        - path: ./src
          action: sync
          target: /app/src
          ignore: ["*.tmp"]
        - path: ./conf
          action: sync+restart
          target: /etc/app
        - path: ./Dockerfile
          action: rebuild
`;
const { dir, file } = tempCompose('watch', stackFile(project));
const cli = stackCli(project, file);
const dockerfile = (v: string) => `FROM berth/busybox\nENV VERSION=${v}\n`;

async function appContainer(p: string) {
  return (await engineContainers(p)).find(
    (c) => c.labels['dev.berth.service'] === 'app' && c.state === 'running',
  );
}

/** stdout and stderr of a command in the running app container (no TTY, demultiplexed). */
async function sh(p: string, script: string): Promise<{ out: string; code: number }> {
  const c = await appContainer(p);
  if (!c) throw new Error('no running app container');
  return execInContainer(c.id, ['sh', '-c', script]);
}

/** Stop a watching berth with Ctrl-C and wait for it (killed after a deadline so cleanup always runs). */
async function interrupt(child: ChildProcess, run: Promise<Run>): Promise<Run> {
  child.kill('SIGINT');
  const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  try {
    return await run;
  } finally {
    clearTimeout(killer);
  }
}

async function removeImages(stackName: string) {
  const images = await docker.listImages({
    filters: JSON.stringify({ label: [`dev.berth.stack=${stackName}`] }),
  });
  for (const i of images)
    await docker
      .getImage(i.Id)
      .remove({ force: true })
      .catch(() => {});
}

describe('berth watch', () => {
  let child: ChildProcess | undefined;
  let run: Promise<Run> | undefined;
  let out = () => '';

  beforeAll(async () => {
    mkdirSync(path.join(dir, 'src'));
    mkdirSync(path.join(dir, 'conf'));
    writeFileSync(path.join(dir, 'src/keep.txt'), 'kept\n');
    writeFileSync(path.join(dir, 'Dockerfile'), dockerfile('v1'));
    child = cli.spawn('watch');
    run = collect(child);
    let stdout = '';
    child.stdout?.on('data', (d) => {
      stdout += d;
    });
    out = () => stdout;
    await until(
      '"Watch enabled"',
      async () => (stdout.includes('⦿ Watch enabled') ? true : undefined),
      180_000,
    );
  }, 200_000);

  afterAll(async () => {
    if (child && run && child.exitCode === null) await interrupt(child, run);
    await cleanupProject(project);
    await removeImages(project);
    rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  test('an edit under a sync rule is in the container within about a second; a deletion is removed', async () => {
    const file = path.join(dir, 'src/hello.txt');
    const t0 = Date.now();
    writeFileSync(file, 'hello 1\n');
    await until('the synced file', async () =>
      (await sh(project, 'cat /app/src/hello.txt')).out === 'hello 1\n' ? true : undefined,
    );
    const first = Date.now() - t0;
    // a second edit of the same file, now that the folder exists in the container
    const t1 = Date.now();
    writeFileSync(file, 'hello 2\n');
    await until('the second edit', async () =>
      (await sh(project, 'cat /app/src/hello.txt')).out === 'hello 2\n' ? true : undefined,
    );
    const second = Date.now() - t1;
    console.log(`watch sync latency (write → visible via exec): first ${first} ms, second ${second} ms`);
    expect(out()).toMatch(/⦿ Syncing service "app" after 1 changed file\n/);

    writeFileSync(path.join(dir, 'src/scratch.tmp'), 'ignored\n');
    unlinkSync(file);
    await until('the deletion', async () =>
      (await sh(project, 'test -e /app/src/hello.txt')).code === 1 ? true : undefined,
    );
    // the ignored file never reached the container (it was written before the deletion, so it was in that batch)
    expect((await sh(project, 'test -e /app/src/scratch.tmp')).code).toBe(1);
  }, 120_000);

  test('an edit under a sync+restart rule restarts the container, with the file in place', async () => {
    const c = (await appContainer(project))!;
    const startedAt = async () => (await docker.getContainer(c.id).inspect()).State.StartedAt;
    const before = await startedAt();
    writeFileSync(path.join(dir, 'conf/app.ini'), 'mode=2\n');
    await until('the restart', async () => ((await startedAt()) !== before ? true : undefined));
    expect((await appContainer(project))!.id).toBe(c.id);
    await until('the synced config', async () =>
      (await sh(project, 'cat /etc/app/app.ini')).out === 'mode=2\n' ? true : undefined,
    );
    expect(out()).toMatch(/⦿ Restarting service "app"/);
  }, 120_000);

  test('a Dockerfile change rebuilds the image and recreates the container', async () => {
    const before = (await appContainer(project))!;
    expect((await sh(project, 'echo $VERSION')).out).toBe('v1\n');
    writeFileSync(path.join(dir, 'Dockerfile'), dockerfile('v2'));
    const after = await until(
      'a new app container',
      async () => {
        const c = await appContainer(project);
        return c && c.id !== before.id ? c : undefined;
      },
      180_000,
    );
    expect(after.id).not.toBe(before.id);
    await until('the new image’s content', async () =>
      (await sh(project, 'echo $VERSION')).out === 'v2\n' ? true : undefined,
    );
    await until('the rebuild lines', async () =>
      /service "app" successfully built/.test(out()) ? true : undefined,
    );
    expect(out()).toMatch(/⦿ Rebuilding service "app" after 1 changed file/);
    // --prune (the default): the replaced image is gone, only the new one is left for this stack
    const images = await docker.listImages({
      filters: JSON.stringify({ label: [`dev.berth.stack=${project}`] }),
    });
    expect(images.length).toBe(1);
  }, 240_000);

  test('Ctrl-C stops watching cleanly and leaves the stack running', async () => {
    const r = await interrupt(child!, run!);
    expect(r.code).toBe(0);
    expect(r.stderr).not.toMatch(/Error|at .*\.js/);
    expect(await appContainer(project)).toBeDefined();
  }, 120_000);
});

describe('berth up --watch', () => {
  const p = uniqueProject('watch-up');
  const t = tempCompose(
    'watch-up',
    `services:
  app:
    image: berth/busybox
    command: ["sh", "-c", "echo ready; while :; do sleep 1; done"]
    stop_signal: SIGKILL
    develop:
      watch:
        - path: ./src
          action: sync
          target: /app/src
          initial_sync: true
`,
  );
  afterAll(async () => {
    await cleanupProject(p);
    rmSync(t.dir, { recursive: true, force: true });
  }, 120_000);

  test('syncs beside the log feed (initial_sync first); Ctrl-C stops the watcher and the stack', async () => {
    mkdirSync(path.join(t.dir, 'src'));
    writeFileSync(path.join(t.dir, 'src/initial.txt'), 'before\n');
    const child = stackCli(p, t.file).spawn('up', '--watch');
    const run = collect(child);
    let stdout = '';
    child.stdout?.on('data', (d) => {
      stdout += d;
    });
    let code: number | null = null;
    try {
      await until(
        '"Watch enabled"',
        async () => (stdout.includes('⦿ Watch enabled') ? true : undefined),
        180_000,
      );
      expect((await sh(p, 'cat /app/src/initial.txt')).out).toBe('before\n');
      writeFileSync(path.join(t.dir, 'src/live.txt'), 'live\n');
      await until('the synced file', async () =>
        (await sh(p, 'cat /app/src/live.txt')).out === 'live\n' ? true : undefined,
      );
      await until('the log feed', async () => (/app(-1)? +\| ready/.test(stdout) ? true : undefined));
    } catch (err) {
      throw new Error(`${(err as Error).message}; berth printed:\n${stdout}`);
    } finally {
      code = (await interrupt(child, run)).code;
    }
    expect(code).toBe(130);
    expect(await appContainer(p)).toBeUndefined();
  }, 240_000);
});
