import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { cleanupProject, docker, uniqueProject } from './helpers.js';
import { ROOT, stackCli } from './up-cli.js';

// `berth logs -f` while the stack changes under it: a restart and a recreate are picked up from the
// engine's events, nothing is repeated or lost, and following ends when the stack is gone.
const project = uniqueProject('logsf');
const cli = stackCli(project, path.join(ROOT, 'fixtures/logs/chatty/berth.yaml'));
let follower: ChildProcess | undefined;

beforeAll(async () => {
  const up = await cli.run('up', '-d');
  expect(up.code, up.stderr).toBe(0);
});
afterAll(async () => {
  follower?.kill('SIGKILL');
  await cleanupProject(project);
});

const workerId = async () =>
  (
    await docker.listContainers({
      filters: JSON.stringify({ label: [`dev.berth.project=${project}`, 'dev.berth.service=worker'] }),
    })
  )[0]!.Id;

test('-f follows restarts and recreations without repeating a line, and ends when the stack is gone', async () => {
  follower = cli.spawn('logs', '-f');
  let out = '';
  follower.stdout!.on('data', (d) => {
    out += d;
  });
  const exited = new Promise<number | null>((r) => follower!.on('close', (code) => r(code)));
  const until = async (pred: () => boolean, what: string, ms = 20_000) => {
    const t0 = Date.now();
    while (!pred()) {
      if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}; got:\n${out.slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const runs = () => out.split('\n').filter((l) => l === 'worker | worker tick 1').length;
  await until(
    () => /web-1 +\| web \S+ line 3/.test(out) && /web-2 +\| web warn 3/.test(out),
    'both web replicas',
  );
  await until(() => out.includes('db     | db ready'), 'the TTY container');
  await until(() => out.includes('worker | worker tick 3'), 'the worker');

  // restart: same container, a second run (its counter starts again at 1)
  const before = await workerId();
  await docker.getContainer(before).restart({ t: 5 });
  await until(() => runs() === 2, 'the restarted worker');
  expect(await workerId()).toBe(before);

  // recreate: a new container for the service
  const up = await cli.run('up', '-d', '--force-recreate', 'worker');
  expect(up.code, up.stderr).toBe(0);
  expect(await workerId()).not.toBe(before);
  await until(() => runs() === 3, 'the recreated worker');
  // the third run is under way: its third tick came after the second run's ticks
  await until(
    () => out.lastIndexOf('worker | worker tick 3\n') > out.lastIndexOf('worker | worker tick 1\n'),
    'the third run going',
  );

  // each run of the worker counts 1, 2, 3, ... with nothing missing and nothing twice
  const ticks = out
    .split('\n')
    .filter((l) => l.startsWith('worker | '))
    .map((l) => Number(/tick (\d+)/.exec(l)![1]));
  const seqs: number[][] = [];
  for (const t of ticks) {
    if (t === 1) seqs.push([]);
    seqs.at(-1)!.push(t);
  }
  expect(seqs).toHaveLength(3);
  for (const s of seqs) expect(s).toEqual(s.map((_, i) => i + 1));

  const down = await cli.run('down');
  expect(down.code, down.stderr).toBe(0);
  const code = await Promise.race([exited, new Promise((r) => setTimeout(() => r('still running'), 15_000))]);
  expect(code).toBe(0);
});
