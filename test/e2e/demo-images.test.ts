import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { cleanupProject, docker, uniqueProject } from './helpers.js';

const run = promisify(execFile);
const IMAGES = ['busybox', 'debian-stack', 'postgres', 'redis', 'nginx', 'haproxy', 'python'];

test('every local image exists with its recipe label, matching the recipes in this checkout', async () => {
  for (const name of IMAGES) {
    const info = await docker.getImage(`berth/${name}:latest`).inspect();
    expect(info.Config.Labels?.['dev.berth.recipe'], name).toMatch(/^[0-9a-f]{12}$/);
  }
  // The labels must match the recipes in this checkout (--check builds nothing, exits 1 when one is stale).
  const { stdout } = await run('bash', ['scripts/images.sh', '--check'], { timeout: 60_000 });
  for (const name of IMAGES) expect(stdout).toContain(`berth/${name}:latest up to date`);
});

describe('service images on a private network', () => {
  const project = uniqueProject('img');
  const labels = { 'dev.berth.project': project };
  const net = `${project}_default`;
  const volume = `${project}_dbdata`;

  beforeAll(async () => {
    await docker.createNetwork({ Name: net, Labels: labels });
    await docker.createVolume({ Name: volume, Labels: labels });
  });
  afterAll(() => cleanupProject(project));

  async function start(name: string, image: string, opts: Partial<Docker.ContainerCreateOptions> = {}) {
    const { HostConfig, ...rest } = opts;
    const c = await docker.createContainer({
      name: `${project}-${name}`,
      Image: image,
      Labels: labels,
      ...rest,
      HostConfig: { NetworkMode: net, ...HostConfig },
      NetworkingConfig: { EndpointsConfig: { [net]: { Aliases: [name] } } },
    });
    await c.start();
    return c;
  }

  async function untilHealthy(c: Docker.Container, timeoutMs = 60_000): Promise<number> {
    const t0 = Date.now();
    for (;;) {
      const s = (await c.inspect()).State;
      if (s.Health?.Status === 'healthy') return Date.now() - t0;
      if (!s.Running) throw new Error(`${c.id.slice(0, 12)} stopped: ${await logsOf(c)}`);
      if (Date.now() - t0 > timeoutMs)
        throw new Error(`not healthy after ${timeoutMs}ms: ${await logsOf(c)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  async function logsOf(c: Docker.Container): Promise<string> {
    const buf = await c.logs({ stdout: true, stderr: true });
    return demux(buf);
  }

  /** Run a one-off command in `image` on the network; returns its stdout+stderr, throws on a non-zero exit. */
  async function oneOff(name: string, image: string, cmd: string[], env: string[] = []): Promise<string> {
    const c = await start(name, image, { Entrypoint: [], Cmd: cmd, Env: env });
    const { StatusCode } = await c.wait();
    const out = await logsOf(c);
    await c.remove({ force: true, v: true });
    if (StatusCode !== 0) throw new Error(`${cmd.join(' ')} exited ${StatusCode}: ${out}`);
    return out;
  }

  test('postgres initialises a fresh named volume, answers its healthcheck, and keeps data for the next container', async () => {
    const env = ['POSTGRES_DB=shop', 'POSTGRES_USER=shopper', 'POSTGRES_PASSWORD=s3cret'];
    const volumes = { HostConfig: { Binds: [`${volume}:/var/lib/postgresql/data`] } };
    const db1 = await start('db', 'berth/postgres:latest', { Env: env, ...volumes });
    await untilHealthy(db1);
    expect(await logsOf(db1)).toContain(
      'db: initialised /var/lib/postgresql/data (user shopper, database shop)',
    );

    // From another container, over the network, with the password (the image allows remote clients).
    const psql = (sql: string) =>
      oneOff(
        'psql',
        'berth/postgres:latest',
        ['psql', '-h', 'db', '-U', 'shopper', '-d', 'shop', '-Aqtc', sql],
        ['PGPASSWORD=s3cret'],
      );
    expect(
      (
        await psql("CREATE TABLE t (v text); INSERT INTO t VALUES ('kept'); SELECT current_database()")
      ).trim(),
    ).toBe('shop');
    await expect(
      oneOff(
        'bad',
        'berth/postgres:latest',
        ['psql', '-h', 'db', '-U', 'shopper', '-d', 'shop', '-c', 'select 1'],
        ['PGPASSWORD=wrong'],
      ),
    ).rejects.toThrow(/password authentication failed/);

    // Same volume, new container: no second initdb, the row is still there.
    await db1.stop();
    await db1.remove({ v: true });
    const db2 = await start('db', 'berth/postgres:latest', { Env: env, ...volumes });
    await untilHealthy(db2);
    expect(await logsOf(db2)).not.toContain('initialised');
    expect((await psql('SELECT v FROM t')).trim()).toBe('kept');
    // STOPSIGNAL SIGINT: a fast, clean shutdown.
    const t0 = Date.now();
    await db2.stop();
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect((await db2.inspect()).State.ExitCode).toBe(0);
  });

  test('redis answers other containers (no protected mode) and python has psycopg2 and redis-py', async () => {
    const store = await start('store', 'berth/redis:latest');
    await untilHealthy(store);
    expect(
      (await oneOff('cli', 'berth/redis:latest', ['redis-cli', '-h', 'store', 'incr', 'n'])).trim(),
    ).toBe('1');
    const out = await oneOff('py', 'berth/python:latest', [
      'python3',
      '-c',
      "import psycopg2, redis; print(redis.Redis(host='store').incr('n'))",
    ]);
    expect(out.trim()).toBe('2');
  });
});

/** The engine multiplexes stdout/stderr in 8-byte-header frames; join the payloads. */
function demux(buf: Buffer): string {
  const parts: Buffer[] = [];
  let i = 0;
  while (i + 8 <= buf.length) {
    const size = buf.readUInt32BE(i + 4);
    parts.push(buf.subarray(i + 8, i + 8 + size));
    i += 8 + size;
  }
  return Buffer.concat(parts).toString();
}
