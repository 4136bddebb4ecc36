// Two berths on one project at the same moment: the engine lock (berth-lock-<project>) makes the second wait,
// says so, and every trial ends consistent: one network per name, one container per replica. And a project an
// older berth (or Compose) left with two same-named networks converges with `up`. Each trial is two busybox
// services (a few seconds on a quiet machine); the long timeouts are for a shared machine at load 20+.
import { rmSync } from 'node:fs';
import { afterAll, describe, expect, test } from 'vitest';
import { cleanupProject, docker, uniqueProject } from './helpers.js';
import { collect, engineContainers, ok, stackCli, tempCompose } from './up-cli.js';

const STACK = `
services:
  a:
    image: berth/busybox
    command: sleep 3600
    stop_signal: SIGKILL
  b:
    image: berth/busybox
    command: sleep 3600
    stop_signal: SIGKILL
    depends_on: [a]
`;

const LOCK_MSG = /waiting for another berth on project (\S+) \(pid \d+, since /;

async function networksNamed(name: string) {
  return (await docker.listNetworks({ filters: JSON.stringify({ name: [name] }) })).filter(
    (n) => n.Name === name,
  );
}

/** Either all up (one container per service, running, one network) or all gone. */
async function state(project: string): Promise<'up' | 'down'> {
  const cs = await engineContainers(project);
  const nets = await networksNamed(`${project}_default`);
  if (cs.length === 0) {
    expect(nets.length).toBe(0);
    return 'down';
  }
  expect(cs.map((c) => c.name)).toEqual([`${project}-a-1`, `${project}-b-1`]);
  expect(cs.every((c) => c.state === 'running')).toBe(true);
  expect(nets.length).toBe(1);
  return 'up';
}

async function noLockLeft(project: string) {
  const locks = await docker.listContainers({
    all: true,
    filters: JSON.stringify({ name: [`berth-lock-${project}`] }),
  });
  expect(locks.length).toBe(0);
}

describe('two berths on one project', () => {
  const project = uniqueProject('safety-conc');
  const { dir, file } = tempCompose('conc', STACK);
  const cli = stackCli(project, file);
  afterAll(async () => {
    await cleanupProject(project);
    rmSync(dir, { recursive: true, force: true });
  });

  test('10 trials of two `up` started together: one network, one container per service, the second waits', async () => {
    for (let trial = 0; trial < 10; trial++) {
      ok(await cli.run('down'));
      const runs = await Promise.all([collect(cli.spawn('up', '-d')), collect(cli.spawn('up', '-d'))]);
      for (const r of runs) ok(r);
      expect(await state(project)).toBe('up');
      // exactly one of them waited, and said so with the lock message
      expect(runs.filter((r) => LOCK_MSG.test(r.stderr)).length, `trial ${trial}`).toBe(1);
      expect(runs.find((r) => LOCK_MSG.test(r.stderr))!.stderr.match(LOCK_MSG)![1]).toBe(project);
      await noLockLeft(project);
    }
  }, 900_000);

  test('10 trials of `up` racing `down`: each ends all up or all down, the later up brings everything up', async () => {
    for (let trial = 0; trial < 10; trial++) {
      ok(await cli.run('up', '-d'));
      const [u, d] = await Promise.all([
        collect(cli.spawn('up', '-d', '--force-recreate')),
        collect(cli.spawn('down')),
      ]);
      ok(u);
      ok(d);
      expect(`${u.stderr}${d.stderr}`, `trial ${trial}`).toMatch(LOCK_MSG);
      await state(project);
      ok(await cli.run('up', '-d'));
      expect(await state(project)).toBe('up');
      await noLockLeft(project);
    }
  }, 900_000);

  test('--no-wait fails at once with the holder named while another berth holds the lock', async () => {
    ok(await cli.run('down'));
    const first = collect(cli.spawn('up', '-d'));
    // the lock exists once the first berth has taken it
    const deadline = Date.now() + 60_000;
    while (
      !(
        await docker.listContainers({
          all: true,
          filters: JSON.stringify({ name: [`berth-lock-${project}`] }),
        })
      ).length
    ) {
      if (Date.now() > deadline) throw new Error('the first up never took the lock');
      await new Promise((r) => setTimeout(r, 20));
    }
    const second = await cli.run('up', '-d', '--no-wait');
    ok(await first);
    // the first may have finished in between: then the second simply found nothing to do
    if (second.code !== 0) {
      expect(second.code).toBe(1);
      expect(second.stderr).toMatch(/another berth on project \S+ \(pid \d+, since .*\) is changing it/);
    }
    expect(await state(project)).toBe('up');
  });
});

describe('a project wedged with two same-named networks', () => {
  const project = uniqueProject('safety-dupnet');
  const { dir, file } = tempCompose('dupnet', STACK);
  const cli = stackCli(project, file);
  afterAll(async () => {
    await cleanupProject(project);
    rmSync(dir, { recursive: true, force: true });
  });

  test('up keeps one, removes the other and brings the stack up', async () => {
    const name = `${project}_default`;
    const labels = { 'dev.berth.project': project, 'dev.berth.network': 'default' };
    // the engine's own duplicate check is what a race slips past: made here on purpose
    for (let i = 0; i < 2; i++)
      await docker.createNetwork({ Name: name, Labels: labels, CheckDuplicate: false } as never);
    expect((await networksNamed(name)).length).toBe(2);
    const r = ok(await cli.run('up', '-d'));
    expect(r.stderr).toMatch(/removed a duplicate network/);
    expect(await state(project)).toBe('up');
    ok(await cli.run('up', '-d'));
    expect(await state(project)).toBe('up');
  });
});
