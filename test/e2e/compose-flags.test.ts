// Compose's create/up/scale flags on the real engine: `create` then `start`, `up --no-start`, `scale`,
// `up --pull never` with a missing image, and `up -t 1` recreating a container that ignores SIGTERM.
import { rmSync } from 'node:fs';
import { afterAll, describe, expect, test } from 'vitest';
import { cleanupProject, docker, uniqueProject } from './helpers.js';
import { engineContainers, ok, stackCli, tempCompose } from './up-cli.js';

const STACK = `
services:
  db:
    image: berth/busybox
    command: ["sleep", "3600"]
    stop_signal: SIGKILL
    volumes: [data:/data]
  web:
    image: berth/busybox
    command: ["sleep", "3600"]
    stop_signal: SIGKILL
    depends_on: [db]
  # sleep as PID 1 ignores SIGTERM: stopping it takes the whole grace period
  stubborn:
    image: berth/busybox
    command: ["sleep", "3600"]
    environment: {REV: "\${REV:-1}"}
    profiles: [stubborn]
  ghost:
    image: berth/flags-never-pulled:none
    profiles: [ghost]
  # --abort-on-container-failure: fine exits 0 first (bad waits for it), then bad exits 3
  fine:
    image: berth/busybox
    command: ["sh", "-c", "echo fine-done"]
    profiles: [abort]
  bad:
    image: berth/busybox
    command: ["sh", "-c", "echo bad-line; sleep 1; exit 3"]
    depends_on: {fine: {condition: service_completed_successfully}}
    profiles: [abort]
  long:
    image: berth/busybox
    command: ["sleep", "3600"]
    stop_signal: SIGKILL
    profiles: [abort]
volumes:
  data: {}
`;

/** Milliseconds between a container's SIGTERM and its death, from the engine's event log. */
async function graceOf(id: string, since: number): Promise<number> {
  const until = Math.ceil(Date.now() / 1000) + 1;
  const stream = await docker.getEvents({
    since,
    until,
    filters: JSON.stringify({ type: ['container'], container: [id] }),
  });
  let text = '';
  for await (const chunk of stream) text += String(chunk);
  const events = text
    .split('\n')
    .filter(Boolean)
    .map(
      (l) =>
        JSON.parse(l) as { Action: string; timeNano: number; Actor: { Attributes: Record<string, string> } },
    );
  const term = events.find((e) => e.Action === 'kill' && e.Actor.Attributes.signal === '15');
  const die = events.find((e) => e.Action === 'die');
  if (!term || !die) throw new Error(`no SIGTERM and death of ${id} in ${JSON.stringify(events)}`);
  return Math.round((die.timeNano - term.timeNano) / 1e6);
}

const states = async (project: string) =>
  Object.fromEntries((await engineContainers(project)).map((c) => [c.name, c.state]));

describe('create, up --no-start, scale, --pull, -t', () => {
  const { dir, file } = tempCompose('flags', STACK);
  const projects: string[] = [];
  const cliFor = (name: string, env: Record<string, string> = {}) => {
    const project = uniqueProject(`flags-${name}`);
    projects.push(project);
    return { project, cli: stackCli(project, file, env) };
  };
  afterAll(async () => {
    await Promise.all(projects.map(cleanupProject));
    rmSync(dir, { recursive: true, force: true });
  });

  test('create makes networks, volumes and containers and starts nothing; start starts them', async () => {
    const { project, cli } = cliFor('create');
    ok(await cli.run('create'));
    expect(await states(project)).toEqual({
      [`${project}-db-1`]: 'created',
      [`${project}-web-1`]: 'created',
    });
    const nets = await docker.listNetworks({ filters: JSON.stringify({ name: [`${project}_default`] }) });
    expect(nets.map((n) => n.Name)).toContain(`${project}_default`);
    await docker.getVolume(`${project}_data`).inspect();
    const ids = (await engineContainers(project)).map((c) => c.id).sort();

    ok(await cli.run('start'));
    expect(await states(project)).toEqual({
      [`${project}-db-1`]: 'running',
      [`${project}-web-1`]: 'running',
    });
    expect((await engineContainers(project)).map((c) => c.id).sort()).toEqual(ids);
  });

  test('up --no-start creates; a later up -d starts the same containers', async () => {
    const { project, cli } = cliFor('nostart');
    const created = ok(await cli.run('up', '--no-start'));
    expect(created.stdout).toMatch(new RegExp(`${project}-web-1 +Created`));
    expect(created.stdout).not.toMatch(/Started/);
    expect(await states(project)).toEqual({
      [`${project}-db-1`]: 'created',
      [`${project}-web-1`]: 'created',
    });
    const ids = (await engineContainers(project)).map((c) => c.id).sort();
    ok(await cli.run('up', '-d'));
    expect(await states(project)).toEqual({
      [`${project}-db-1`]: 'running',
      [`${project}-web-1`]: 'running',
    });
    expect((await engineContainers(project)).map((c) => c.id).sort()).toEqual(ids);
  });

  test('scale web=2 adds a replica, scale web=1 removes it; db is left alone', async () => {
    const { project, cli } = cliFor('scale');
    ok(await cli.run('up', '-d'));
    const db = (await engineContainers(project)).find((c) => c.name === `${project}-db-1`)!.id;
    ok(await cli.run('scale', 'web=2'));
    expect(await states(project)).toEqual({
      [`${project}-db-1`]: 'running',
      [`${project}-web-1`]: 'running',
      [`${project}-web-2`]: 'running',
    });
    ok(await cli.run('scale', 'web=1'));
    expect(await states(project)).toEqual({
      [`${project}-db-1`]: 'running',
      [`${project}-web-1`]: 'running',
    });
    expect((await engineContainers(project)).find((c) => c.name === `${project}-db-1`)!.id).toBe(db);
    const bad = await cli.run('scale', 'web');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/invalid scale specifier: web/);
  });

  test('up --pull never with a missing image fails clearly and pulls nothing', async () => {
    const { project, cli } = cliFor('pull');
    const image = 'berth/flags-never-pulled:none';
    await expect(docker.getImage(image).inspect()).rejects.toThrow();
    const r = await cli.run('--profile', 'ghost', 'up', '-d', '--pull', 'never', 'ghost');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /image berth\/flags-never-pulled:none for service "ghost" is not present and pull_policy is never/,
    );
    expect(r.stdout).not.toMatch(/pull/i); // no progress line of a pull
    expect(await engineContainers(project)).toEqual([]);
    await expect(docker.getImage(image).inspect()).rejects.toThrow();
    const wrong = await cli.run('up', '-d', '--pull', 'sometimes');
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/invalid --pull option "sometimes"/);
  });

  test('up -t 1 recreates a container that ignores SIGTERM in about a second, not the default ten', async () => {
    const { project, cli } = cliFor('timeout');
    ok(await cli.run('--profile', 'stubborn', 'up', '-d', 'stubborn'));
    const before = (await engineContainers(project)).find((c) => c.name === `${project}-stubborn-1`)!.id;
    const changed = stackCli(project, file, { REV: '2' });
    const since = Math.floor(Date.now() / 1000) - 1;
    const t0 = Date.now();
    const r = ok(await changed.run('--profile', 'stubborn', 'up', '-d', '-t', '1', 'stubborn'));
    const ms = Date.now() - t0;
    expect(r.stdout).toMatch(/Recreated/);
    const after = (await engineContainers(project)).find((c) => c.name === `${project}-stubborn-1`)!;
    expect(after.id).not.toBe(before);
    expect(after.state).toBe('running');
    // The grace the engine gave the old container: from its SIGTERM to its death, on dockerd's own clock, so
    // a loaded machine (slow creates and starts around it) does not blur it. 10 s without -t.
    const grace = await graceOf(before, since);
    console.log(`up -t 1 recreate: ${ms} ms in all, ${grace} ms from SIGTERM to exit`);
    expect(grace).toBeGreaterThanOrEqual(900);
    expect(grace).toBeLessThan(8000);
  });

  test('attached up --abort-on-container-failure --no-log-prefix: a zero exit goes on, a failure stops all', async () => {
    const { project, cli } = cliFor('abort');
    const r = await cli.run('--profile', 'abort', 'up', '--abort-on-container-failure', '--no-log-prefix');
    expect(r.code, r.stdout + r.stderr).toBe(3);
    const lines = r.stdout.split('\n');
    expect(lines).toContain('bad-line'); // no `bad-1 | ` prefix
    expect(lines).toContain('fine-done');
    expect(r.stdout).toContain(`${project}-bad-1 exited with code 3`);
    expect(r.stderr).toMatch(/Aborting on container failure/);
    expect((await states(project))[`${project}-long-1`]).toBe('exited');
  });
});
