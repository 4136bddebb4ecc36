import { afterAll, describe, expect, test } from 'vitest';
import { cleanupProject, uniqueProject } from './helpers.js';
import { engineContainers, fixture, freePort, ok, stackCli } from './up-cli.js';

describe('up on a busybox stack', () => {
  const project = uniqueProject('up-basic');
  afterAll(() => cleanupProject(project));

  test('dry-run creates nothing; up -d starts dependencies first and replicas share the service alias', async () => {
    const port = await freePort();
    const cli = stackCli(project, fixture('basic'), { BASIC_PORT: String(port) });
    const dry = await cli.run('up', '--dry-run');
    ok(dry);
    expect(dry.stdout).toContain(`+ container ${project}-app-2  create`);
    expect(await engineContainers(project)).toEqual([]);

    const up = await cli.run('up', '-d');
    ok(up);
    const order = up.stdout.split('\n').filter((l) => / Started /.test(l));
    const idx = (s: string) => order.findIndex((l) => l.includes(`${project}-${s}`));
    expect(idx('db-1')).toBeLessThan(idx('app-1'));
    expect(idx('app-1')).toBeLessThan(idx('web-1'));
    expect(up.stdout).toMatch(new RegExp(`${project}-db-1 +Healthy`));
    // the relative bind mount ./www is served
    expect(
      await (await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(30_000) })).text(),
    ).toBe('hello from basic\n');
    // `app` resolves to both replicas (DNS round-robin over the service alias)
    const { execFileSync } = await import('node:child_process');
    const out = execFileSync('docker', ['exec', `${project}-web-1`, 'nslookup', 'app'], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(out.match(/Address: \d+\.\d+\.\d+\.\d+/g)?.length ?? 0).toBeGreaterThanOrEqual(2);

    const scaled = await cli.run('up', '-d', '--scale', 'app=3');
    ok(scaled);
    expect((await engineContainers(project)).filter((c) => c.name.includes('-app-'))).toHaveLength(3);
    const back = await cli.run('up', '-d');
    expect(back.stdout).toMatch(new RegExp(`${project}-app-3 +Removed`));
    expect((await engineContainers(project)).map((c) => c.name)).toEqual(
      ['app-1', 'app-2', 'db-1', 'web-1'].map((n) => `${project}-${n}`),
    );
  });
});
