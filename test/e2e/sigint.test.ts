import { afterAll, describe, expect, test } from 'vitest';
import { cleanupProject, uniqueProject } from './helpers.js';
import { collect, engineContainers, fixture, ok, stackCli } from './up-cli.js';

const SERVICES = Array.from({ length: 10 }, (_, i) => `s${i + 1}-1`);

async function converged(project: string) {
  const list = await engineContainers(project);
  expect(list.map((c) => c.name.replace(`${project}-`, '')).sort()).toEqual([...SERVICES].sort());
  expect(list.every((c) => c.state === 'running')).toBe(true);
}

describe('Ctrl-C during up', () => {
  const project = uniqueProject('sigint');
  afterAll(() => cleanupProject(project));
  const cli = stackCli(project, fixture('wide'));

  test('in the middle of a cold up, then up again: the full stack, no leftovers', async () => {
    const child = cli.spawn('up', '-d');
    const done = collect(child);
    // interrupt once the first containers exist, while s2-s5 wait for s1 to be healthy
    await new Promise<void>((resolve) => {
      child.stdout!.on('data', (d: Buffer) => {
        if (d.toString().includes('Started')) resolve();
      });
    });
    child.kill('SIGINT');
    const run = await done;
    expect(run.code).toBe(130);
    expect(run.stderr).toMatch(/interrupted/);
    const partial = await engineContainers(project);
    expect(partial.filter((c) => c.state === 'running').length).toBeLessThan(10);

    const again = await cli.run('up', '-d');
    expect(again.stderr).toBe('');
    ok(again);
    await converged(project);
    expect((await cli.run('up', '-d')).stdout).toMatch(/Everything is up to date/);
  });

  test('in the middle of a recreate, then up again: no temporary containers left', async () => {
    const child = cli.spawn('up', '-d', '--force-recreate');
    const done = collect(child);
    await new Promise<void>((resolve) => {
      child.stdout!.on('data', (d: Buffer) => {
        if (d.toString().includes('Recreated')) resolve();
      });
    });
    child.kill('SIGINT');
    const run = await done;
    expect(run.code).toBe(130);
    // what is left: old containers under their names, maybe some already recreated; never a temp one
    for (const c of await engineContainers(project))
      expect(c.name).toMatch(new RegExp(`^${project}-s\\d+-1$`));
    ok(await cli.run('up', '-d'));
    await converged(project);
  });
});

describe('a recreate killed outright (no chance to roll back)', () => {
  const project = uniqueProject('killed');
  afterAll(() => cleanupProject(project));

  test('the temporary container it left is removed by the next up, even when that up recreates the same replica', async () => {
    const { docker } = await import('./helpers.js');
    const cli = stackCli(project, fixture('wide'));
    ok(await cli.run('up', '-d', 's1'));
    const [old] = (await engineContainers(project)).filter((c) => c.name === `${project}-s1-1`);
    // what a SIGKILL between "create the new container" and "swap" leaves behind
    const temp = await docker.createContainer({
      name: `${old!.id.slice(0, 12)}_${project}-s1-1`,
      Image: 'berth/busybox:latest',
      Cmd: ['sleep', '3600'],
      Labels: { ...old!.labels, 'dev.berth.config-hash': 'stale' },
    });
    const dry = await cli.run('up', '--dry-run', 's1');
    expect(dry.stdout).toContain(`- container ${old!.id.slice(0, 12)}_${project}-s1-1  remove (leftover)`);
    const up = await cli.run('up', '-d', '--force-recreate', 's1');
    expect(up.stderr).toBe('');
    ok(up);
    const after = await engineContainers(project);
    expect(after.map((c) => c.name)).toEqual([`${project}-s1-1`]);
    expect(after[0]!.id).not.toBe(old!.id);
    expect(after[0]!.id).not.toBe(temp.id);
  });
});
