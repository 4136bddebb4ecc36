// Compose's container verbs on the real engine: kill, pause/unpause, top, port, images, cp, events, wait,
// version, each through the CLI as a user runs it.
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { cleanupProject, docker, execIn, uniqueProject } from './helpers.js';
import { berth, collect, engineContainers, ok, spawnBerth, tempCompose } from './up-cli.js';

const STACK = `
services:
  web:
    image: berth/busybox
    # a shell as PID 1 with a TERM trap: PID 1 ignores signals it has no handler for
    command: ["sh", "-c", "mkdir -p /data/d; echo inside > /data/d/f; trap 'exit 3' TERM; httpd -f -p 8080 & wait"]
    ports: ["127.0.0.1::8080"]
  job:
    image: berth/busybox
    command: ["sh", "-c", "while [ ! -e /go ]; do sleep 0.1; done; exit 7"]
`;

/** Poll until `check` holds, or fail after `ms`. */
async function until<T>(what: string, check: () => Promise<T | undefined>, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('Compose verbs', () => {
  const project = uniqueProject('verbs');
  const { dir, file } = tempCompose('verbs', STACK);
  const run = (...args: string[]) => berth(['-p', project, '-f', file, ...args], {}, dir);
  afterAll(async () => {
    await cleanupProject(project);
    rmSync(dir, { recursive: true, force: true });
  });

  test('port, top, images, cp, pause/unpause, kill, events, wait', async () => {
    ok(await run('up', '-d'));
    const web = (await engineContainers(project)).find((c) => c.name === `${project}-web-1`)!;

    // port: the host address, as `docker compose port` prints it
    const port = ok(await run('port', 'web', '8080')).stdout.trim();
    const published = (await docker.getContainer(web.id).inspect()).NetworkSettings.Ports['8080/tcp']![0]!;
    expect(port).toBe(`127.0.0.1:${published.HostPort}`);
    expect((await run('port', 'web', '9999')).code).toBe(1);
    expect((await run('port', 'web', '8080', '--index', '2')).code).toBe(1);

    // top: the container's name, then its process table
    const top = ok(await run('top', 'web')).stdout;
    expect(top.split('\n')[0]).toBe(`${project}-web-1`);
    expect(top).toMatch(/PID/);
    expect(top).toMatch(/httpd -f -p 8080/);

    // images: table, json (one array) and -q
    const table = ok(await run('images')).stdout;
    expect(table.split('\n')[0]).toMatch(/^CONTAINER +REPOSITORY +TAG +IMAGE ID +SIZE$/);
    expect(table).toMatch(new RegExp(`${project}-web-1 +berth/busybox +latest`));
    const json = JSON.parse(ok(await run('images', '--format', 'json')).stdout) as Array<
      Record<string, unknown>
    >;
    const img = await docker.getImage('berth/busybox').inspect();
    expect(json.map((i) => i.ContainerName)).toEqual([`${project}-job-1`, `${project}-web-1`]);
    expect(json[1]).toMatchObject({ ID: img.Id, Repository: 'berth/busybox', Tag: 'latest', Size: img.Size });
    expect(ok(await run('images', '-q')).stdout).toBe(`${img.Id.replace('sha256:', '')}\n`);

    // cp, both directions, with docker cp's naming rule
    await until(
      'web to write /data/d/f',
      async () => (await execIn(project, 'web', ['cat', '/data/d/f'])).includes('inside') || undefined,
    );
    const host = mkdtempSync(path.join(tmpdir(), 'berth-cp-'));
    try {
      ok(await run('cp', 'web:/data/d/f', path.join(host, 'renamed')));
      expect(readFileSync(path.join(host, 'renamed'), 'utf8')).toBe('inside\n');
      ok(await run('cp', 'web:/data/d', host));
      expect(statSync(path.join(host, 'd')).isDirectory()).toBe(true);
      expect(readFileSync(path.join(host, 'd/f'), 'utf8')).toBe('inside\n');
      writeFileSync(path.join(host, 'up.txt'), 'from host\n');
      ok(await run('cp', path.join(host, 'up.txt'), 'web:/data/'));
      expect(await execIn(project, 'web', ['cat', '/data/up.txt'])).toBe('from host\n');
      ok(await run('cp', path.join(host, 'up.txt'), 'web:/data/other.txt'));
      expect(await execIn(project, 'web', ['cat', '/data/other.txt'])).toBe('from host\n');
      const missing = await run('cp', path.join(host, 'up.txt'), 'web:/nowhere/');
      expect(missing.code).toBe(1);
      expect(missing.stderr).toMatch(/no such directory/);
      expect(missing.stderr).not.toMatch(/internal error/);
    } finally {
      rmSync(host, { recursive: true, force: true });
    }

    // events --json: one Compose-shaped object per line, for the actions below
    const events = spawnBerth(['-p', project, '-f', file, 'events', '--json', 'web'], {}, dir);
    const seen: Array<Record<string, unknown>> = [];
    let buf = '';
    events.stdout?.on('data', (d: Buffer) => {
      buf += d.toString();
      const lines = buf.split('\n');
      buf = lines.pop()!;
      for (const l of lines) seen.push(JSON.parse(l) as Record<string, unknown>);
    });
    const eventsDone = collect(events);
    // the subscription is up once a pause shows; retry the pause until then (the CLI needs a moment to start)
    await until('a pause event', async () => {
      ok(await run('pause', 'web'));
      if (seen.some((e) => e.action === 'pause')) return true;
      ok(await run('unpause', 'web'));
      return undefined;
    });
    expect((await docker.getContainer(web.id).inspect()).State.Paused).toBe(true);
    ok(await run('unpause', 'web'));
    expect((await docker.getContainer(web.id).inspect()).State.Paused).toBe(false);

    // kill -s: the signal reaches the container (its trap exits 3)
    ok(await run('kill', '-s', 'SIGTERM', 'web'));
    await until(
      'web to stop',
      async () => !(await docker.getContainer(web.id).inspect()).State.Running || undefined,
    );
    await until('a kill event', async () => seen.some((e) => e.action === 'kill') || undefined);
    events.kill('SIGINT');
    await eventsDone;
    const kill = seen.find((e) => e.action === 'kill')!;
    expect(kill).toMatchObject({ type: 'container', id: web.id, service: 'web' });
    expect((kill.attributes as Record<string, string>).signal).toBe('15');
    expect(kill.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/);
    expect(seen.every((e) => e.service === 'web')).toBe(true);

    // wait: blocks until the job exits, prints it, and exits with its status
    const waiting = collect(spawnBerth(['-p', project, '-f', file, 'wait', 'job'], {}, dir));
    const job = (await engineContainers(project)).find((c) => c.name === `${project}-job-1`)!;
    await execIn(project, 'job', ['touch', '/go']);
    const w = await waiting;
    expect(w.code).toBe(7);
    expect(w.stdout).toBe(`container "${job.id}" exited with status code 7\n`);
  });

  test('version in its three shapes', async () => {
    const pkg = JSON.parse(readFileSync(path.resolve(import.meta.dirname, '../../package.json'), 'utf8'));
    expect(ok(await berth(['version'])).stdout).toBe(`berth version v${pkg.version}\n`);
    expect(ok(await berth(['version', '--short'])).stdout).toBe(`${pkg.version}\n`);
    expect(JSON.parse(ok(await berth(['version', '--format', 'json'])).stdout)).toEqual({
      version: `v${pkg.version}`,
    });
  });
});

describe('attached up: --abort-on-container-exit, --exit-code-from, --attach/--no-attach, --timestamps', () => {
  const project = uniqueProject('verbs-up');
  const { dir, file } = tempCompose(
    'verbs-up',
    `
services:
  a:
    image: berth/busybox
    command: ["sh", "-c", "trap 'exit 4' TERM; echo a-line; sleep 600 & wait"]
  b:
    image: berth/busybox
    command: ["sh", "-c", "echo b-line; sleep 1; exit 5"]
`,
  );
  const run = (...args: string[]) => berth(['-p', project, '-f', file, ...args], {}, dir);
  afterAll(async () => {
    await cleanupProject(project);
    rmSync(dir, { recursive: true, force: true });
  });

  test('the first exit stops the stack; the exit code is the exited one, or --exit-code-from’s', async () => {
    const r = await run('up', '--abort-on-container-exit', '--no-attach', 'a', '--timestamps');
    expect(r.code).toBe(5);
    expect(r.stdout).toMatch(/^b +\| \d{4}-\d\d-\d\dT\S+ b-line$/m);
    expect(r.stdout).not.toMatch(/a-line/);
    expect(r.stdout).toContain(`${project}-b-1 exited with code 5`);
    expect((await engineContainers(project)).every((c) => c.state === 'exited')).toBe(true);

    const from = await run('up', '--exit-code-from', 'a', '--attach', 'a');
    expect(from.code).toBe(4);
    expect(from.stdout).toMatch(/^a +\| a-line$/m);
    expect(from.stdout).not.toMatch(/b-line/);

    const bad = await run('up', '-d', '--exit-code-from', 'a');
    expect(bad.code).toBe(2);
    expect((await run('up', '--exit-code-from', 'nope')).code).toBe(2);
  });
});

describe('the engine of a docker CLI context', () => {
  const cfg = mkdtempSync(path.join(tmpdir(), 'berth-ctx-'));
  afterAll(() => rmSync(cfg, { recursive: true, force: true }));
  const context = (name: string, host: string) => {
    const meta = path.join(cfg, 'contexts', 'meta', createHash('sha256').update(name).digest('hex'));
    mkdirSync(meta, { recursive: true });
    writeFileSync(
      path.join(meta, 'meta.json'),
      JSON.stringify({ Name: name, Endpoints: { docker: { Host: host } } }),
    );
  };

  test('the current context on the unix socket works; a dead tcp one is exit 3 naming it', async () => {
    context('local', 'unix:///var/run/docker.sock');
    context('dead', 'tcp://127.0.0.1:1');
    writeFileSync(path.join(cfg, 'config.json'), JSON.stringify({ currentContext: 'local' }));
    const env = { DOCKER_CONFIG: cfg, DOCKER_HOST: '' };
    const project = uniqueProject('verbs-ctx');
    ok(await berth(['-p', project, 'ps'], env));
    const dead = await berth(['-p', project, 'ps'], { ...env, DOCKER_CONTEXT: 'dead' });
    expect(dead.code).toBe(3);
    expect(dead.stderr).toContain('tcp://127.0.0.1:1 (docker context "dead")');
    const ghost = await berth(['-p', project, 'ps'], { ...env, DOCKER_CONTEXT: 'ghost' });
    expect(ghost.code).toBe(2);
    expect(ghost.stderr).toMatch(/docker context "ghost" \(from DOCKER_CONTEXT\) does not exist/);
  });
});
