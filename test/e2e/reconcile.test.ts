import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { cleanupProject, docker, uniqueProject } from './helpers.js';
import { copyFixture, engineContainers, fixture, freePort, ok, ROOT, stackCli } from './up-cli.js';

const ids = async (project: string) =>
  Object.fromEntries((await engineContainers(project)).map((c) => [c.name, c.id]));

describe('reconcile', () => {
  const project = uniqueProject('reconcile');
  afterAll(() => cleanupProject(project));

  test('changing one service’s environment recreates that service’s containers only', async () => {
    const port = String(await freePort());
    const first = stackCli(project, fixture('basic'), { BASIC_PORT: port });
    ok(await first.run('up', '-d'));
    const before = await ids(project);

    const edited = stackCli(project, fixture('basic'), { BASIC_PORT: port, GREETING: 'bonjour' });
    const dry = await edited.run('up', '--dry-run');
    expect(dry.stdout).toContain(`~ container ${project}-app-1  recreate (config changed)`);
    expect(dry.stdout).not.toContain('db-1');
    const up = await edited.run('up', '-d');
    ok(up);
    expect(up.stdout).toMatch(new RegExp(`${project}-app-1 +Recreated`));
    expect(up.stdout).toMatch(new RegExp(`${project}-app-2 +Recreated`));
    const after = await ids(project);
    expect(Object.keys(after)).toEqual(Object.keys(before));
    expect(after[`${project}-db-1`]).toBe(before[`${project}-db-1`]);
    expect(after[`${project}-web-1`]).toBe(before[`${project}-web-1`]);
    expect(after[`${project}-app-1`]).not.toBe(before[`${project}-app-1`]);
    expect(after[`${project}-app-2`]).not.toBe(before[`${project}-app-2`]);
    const env = execFileSync('docker', ['exec', `${project}-app-1`, 'sh', '-c', 'echo $GREETING'], {
      encoding: 'utf8',
    });
    expect(env.trim()).toBe('bonjour');
    // and the edited stack is now the converged one
    expect((await edited.run('up', '-d')).stdout).toMatch(/Everything is up to date/);
  });
});

describe('reconcile after a rebuild', () => {
  const project = uniqueProject('rebuild');
  const image = `${project}-app:latest`;
  const dir = copyFixture(path.join(ROOT, 'fixtures/e2e/build'));
  const imageIds = new Set<string>();
  afterAll(async () => {
    await cleanupProject(project);
    for (const id of imageIds)
      await docker
        .getImage(id)
        .remove({ force: true })
        .catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  });

  test('editing the Dockerfile and `up --build` recreates the built service only', async () => {
    const cli = stackCli(project, path.join(dir, 'berth.yaml'), { BUILD_IMAGE: image });
    const cold = await cli.run('up', '-d');
    expect(cold.stderr).not.toMatch(/error/i);
    ok(cold);
    imageIds.add((await docker.getImage(image).inspect()).Id);
    const before = await ids(project);

    // an unchanged Dockerfile rebuilds to the same image: nothing to recreate
    const same = await cli.run('up', '-d', '--build');
    ok(same);
    expect(await ids(project)).toEqual(before);

    const dockerfile = path.join(dir, 'app/Dockerfile');
    writeFileSync(dockerfile, readFileSync(dockerfile, 'utf8').replace('revision="1"', 'revision="2"'));
    const up = await cli.run('up', '-d', '--build');
    ok(up);
    imageIds.add((await docker.getImage(image).inspect()).Id);
    expect(up.stdout).toMatch(new RegExp(`${project}-app-1 +Recreated +[0-9.]+s +\\(image changed\\)`));
    const after = await ids(project);
    expect(after[`${project}-side-1`]).toBe(before[`${project}-side-1`]);
    expect(after[`${project}-app-1`]).not.toBe(before[`${project}-app-1`]);
    expect((await cli.run('up', '-d')).stdout).toMatch(/Everything is up to date/);
  });
});

describe('orphans', () => {
  const project = uniqueProject('orphans');
  afterAll(() => cleanupProject(project));

  test('a service taken out of the file is reported and kept by up, removed with --remove-orphans', async () => {
    const port = String(await freePort());
    ok(await stackCli(project, fixture('basic'), { BASIC_PORT: port }).run('up', '-d'));
    const without = stackCli(project, path.join(ROOT, 'fixtures/e2e/basic/without-web.yaml'));
    const up = await without.run('up', '-d');
    ok(up);
    expect(up.stderr).toMatch(new RegExp(`found orphan containers \\(${project}-web-1\\)`));
    expect(up.stdout).toMatch(/Everything is up to date/);
    expect((await engineContainers(project)).map((c) => c.name)).toContain(`${project}-web-1`);
    const removed = await without.run('up', '-d', '--remove-orphans');
    expect(removed.stdout).toMatch(new RegExp(`${project}-web-1 +Removed`));
    expect((await engineContainers(project)).map((c) => c.name)).toEqual(
      ['app-1', 'app-2', 'db-1'].map((n) => `${project}-${n}`),
    );
  });
});
