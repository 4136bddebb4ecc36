import { afterAll, describe, expect, test } from 'vitest';
import { cleanupProject, docker, uniqueProject } from './helpers.js';
import { engineContainers, fixture, freePort, ok, parseJsonLines, stackCli } from './up-cli.js';

describe('stop, start, restart, rm, ps', () => {
  const project = uniqueProject('lifecycle');
  afterAll(() => cleanupProject(project));

  test('the verbs keep containers and data, in dependency order', async () => {
    const cli = stackCli(project, fixture('basic'), { BASIC_PORT: String(await freePort()) });
    ok(await cli.run('up', '-d'));
    const ids = (await engineContainers(project)).map((c) => c.id);

    const stop = await cli.run('stop');
    ok(stop);
    const stopped = stop.stdout.split('\n').filter((l) => /Stopped/.test(l));
    const at = (s: string) => stopped.findIndex((l) => l.includes(`${project}-${s}`));
    expect(at('web-1')).toBeLessThan(at('app-1'));
    expect(at('app-1')).toBeLessThan(at('db-1'));
    expect(parseJsonLines((await cli.run('ps', '--format', 'json')).stdout)).toEqual([]);
    const all = parseJsonLines((await cli.run('ps', '--all', '--format', 'json')).stdout);
    expect(all.map((r) => r.State)).toEqual(['exited', 'exited', 'exited', 'exited']);
    expect(all.map((r) => r.Service)).toEqual(['db', 'app', 'app', 'web']);

    const start = await cli.run('start');
    ok(start);
    expect(start.stdout).toMatch(new RegExp(`${project}-db-1 +Healthy`));
    expect((await engineContainers(project)).map((c) => c.id)).toEqual(ids);
    expect((await engineContainers(project)).every((c) => c.state === 'running')).toBe(true);

    const startedAt = async (name: string) => (await docker.getContainer(name).inspect()).State.StartedAt;
    const before = await startedAt(`${project}-app-1`);
    const dbBefore = await startedAt(`${project}-db-1`);
    ok(await cli.run('restart', 'app'));
    expect(await startedAt(`${project}-app-1`)).not.toBe(before);
    expect(await startedAt(`${project}-db-1`)).toBe(dbBefore);

    const rmRunning = await cli.run('rm', 'web');
    expect(rmRunning.stderr).toMatch(/kept running containers/);
    expect((await engineContainers(project)).some((c) => c.name === `${project}-web-1`)).toBe(true);
    ok(await cli.run('stop', 'web'));
    const rm = await cli.run('rm', '-f', 'web');
    expect(rm.stdout).toMatch(new RegExp(`${project}-web-1 +Removed`));
    expect((await engineContainers(project)).some((c) => c.name === `${project}-web-1`)).toBe(false);

    // -p alone works without the stack file, as with Compose
    const { berth } = await import('./up-cli.js');
    const ps = await berth(['-p', project, 'ps', '--format', 'json'], {}, '/');
    expect(parseJsonLines(ps.stdout).map((r) => r.Name)).toContain(`${project}-db-1`);
    const down = await berth(['-p', project, 'down', '-v'], {}, '/');
    ok(down);
    expect(await engineContainers(project)).toEqual([]);
  });
});

describe('attached up without a terminal', () => {
  const project = uniqueProject('attached');
  afterAll(() => cleanupProject(project));

  test('prints prefixed logs until Ctrl-C, then stops the stack', async () => {
    const { collect } = await import('./up-cli.js');
    const child = stackCli(project, fixture('chatty')).spawn('up');
    const done = collect(child);
    await new Promise<void>((resolve) => {
      let seen = '';
      child.stdout!.on('data', (d: Buffer) => {
        seen += d.toString();
        if (/talker[-\w]* *\| tick 3\b/.test(seen)) resolve();
      });
      child.on('close', () => resolve());
    });
    child.kill('SIGINT');
    const run = await done;
    expect(run.code).toBe(130);
    expect(run.stdout).toMatch(new RegExp(`${project}-talker-1 +Stopped`));
    const list = await engineContainers(project);
    expect(list.map((c) => c.state)).toEqual(['exited']);
  });
});
