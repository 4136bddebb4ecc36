import { execFileSync } from 'node:child_process';
import { afterAll, describe, expect, test } from 'vitest';
import { cleanupProject, docker, uniqueProject } from './helpers.js';
import { engineContainers, freePort, ok, ROOT, stackCli } from './up-cli.js';

const psql = (project: string, sql: string) =>
  execFileSync('docker', ['exec', `${project}-db-1`, 'psql', '-U', 'app', '-d', 'app', '-tAc', sql], {
    encoding: 'utf8',
  }).trim();

const volumesOf = async (project: string) =>
  (
    (await docker.listVolumes({ filters: JSON.stringify({ label: [`dev.berth.project=${project}`] }) }))
      .Volumes ?? []
  )
    .map((v) => v.Name)
    .sort();

describe('data and down', () => {
  const project = uniqueProject('down');
  const other = uniqueProject('down-other');
  afterAll(async () => {
    await cleanupProject(project);
    await cleanupProject(other);
  });

  test('rows survive a recreate and down + up; down -v removes the volumes; another project is untouched', async () => {
    const port = String(await freePort());
    const cli = stackCli(project, `${ROOT}/fixtures/demo/berth.yaml`, { BERTH_DEMO_PORT: port });
    ok(await cli.run('up', '-d', '--wait'));
    psql(project, 'create table notes (body text); insert into notes values ($$kept$$)');

    const recreate = await cli.run('up', '-d', '--wait', '--no-deps', '--force-recreate', 'db');
    ok(recreate);
    expect(recreate.stdout).toMatch(new RegExp(`${project}-db-1 +Recreated`));
    expect(psql(project, 'select body from notes')).toBe('kept');

    // a container of another project (same image, its own label) must survive our down
    const foreign = await docker.createContainer({
      name: `${other}-db-1`,
      Image: 'berth/busybox:latest',
      Cmd: ['sleep', '3600'],
      Labels: { 'dev.berth.project': other, 'dev.berth.service': 'db', 'dev.berth.replica': '1' },
      HostConfig: { Init: true },
    });
    await foreign.start();

    const down = await cli.run('down');
    ok(down);
    expect(await engineContainers(project)).toEqual([]);
    expect(await volumesOf(project)).toEqual([`${project}_dbdata`, `${project}_storedata`]);
    expect((await foreign.inspect()).State.Running).toBe(true);

    ok(await cli.run('up', '-d', '--wait'));
    expect(psql(project, 'select body from notes')).toBe('kept');

    const downV = await cli.run('down', '-v');
    ok(downV);
    expect(downV.stdout).toMatch(new RegExp(`Volume ${project}_dbdata +Removed`));
    expect(await volumesOf(project)).toEqual([]);
    expect(await engineContainers(project)).toEqual([]);
    expect((await foreign.inspect()).State.Running).toBe(true);
    const nets = await docker.listNetworks({
      filters: JSON.stringify({ label: [`dev.berth.project=${project}`] }),
    });
    expect(nets).toEqual([]);
  });
});
