// What the Compose-parity loader fixes means on the engine: deploy.restart_policy reaches the container, one
// mount per container path (a volume over a secret, the last of two volumes), an exact duplicate port line is
// one binding, every extra_hosts address and a raw env file arrive as written, and `up web` runs although
// another service's env file is missing.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { cleanupProject, docker, execIn, uniqueProject } from './helpers.js';
import { freePort, ok, stackCli, tempCompose } from './up-cli.js';

describe('Compose semantics on the engine', () => {
  const project = uniqueProject('compose-semantics');
  let dir = '';
  afterAll(async () => {
    await cleanupProject(project);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('restart_policy, mounts, ports, extra_hosts, raw env file, and `up web` with a missing env file elsewhere', async () => {
    const port = await freePort();
    const t = tempCompose(
      'compose-semantics',
      [
        'services:',
        '  web:',
        '    image: berth/busybox',
        '    command: ["sleep", "3600"]',
        '    stop_signal: SIGKILL',
        '    deploy:',
        '      restart_policy: {condition: on-failure, max_attempts: 3}',
        `    ports: ["127.0.0.1:${port}:80", "127.0.0.1:${port}:80"]`,
        '    volumes: ["./mine.txt:/run/secrets/token:ro", "./a:/data", "./b:/data"]',
        '    secrets: [token]',
        '    extra_hosts: ["db:10.0.0.1", "db:10.0.0.2"]',
        '    env_file:',
        '      - {path: raw.env, format: raw}',
        '  tool:',
        '    image: berth/busybox',
        '    env_file: missing.env',
        'secrets:',
        '  token: {file: ./token.txt}',
        '',
      ].join('\n'),
    );
    dir = t.dir;
    writeFileSync(path.join(dir, 'mine.txt'), 'mine\n');
    writeFileSync(path.join(dir, 'token.txt'), 'token\n');
    writeFileSync(path.join(dir, 'raw.env'), 'RAW="quoted" $HOME\n');
    mkdirSync(path.join(dir, 'a'));
    mkdirSync(path.join(dir, 'b'));
    const cli = stackCli(project, t.file);

    // the whole stack needs tool's env file: a clean error naming it
    const all = await cli.run('up', '-d');
    expect(all.code).toBe(2);
    expect(all.stderr).toMatch(/env file \S*\/missing.env not found/);

    ok(await cli.run('up', '-d', 'web'));
    const [c] = await docker.listContainers({
      all: true,
      filters: JSON.stringify({ label: [`dev.berth.project=${project}`] }),
    });
    const info = await docker.getContainer(c!.Id).inspect();
    expect(info.HostConfig.RestartPolicy).toMatchObject({ Name: 'on-failure', MaximumRetryCount: 3 });
    const mounts = Object.fromEntries(info.Mounts.map((m) => [m.Destination, path.basename(m.Source)]));
    expect(mounts).toEqual({ '/run/secrets/token': 'mine.txt', '/data': 'b' });
    expect(info.HostConfig.PortBindings).toEqual({
      '80/tcp': [{ HostIp: '127.0.0.1', HostPort: String(port) }],
    });
    expect(info.HostConfig.ExtraHosts).toEqual(['db:10.0.0.1', 'db:10.0.0.2']);
    expect(info.Config.Env).toContain('RAW="quoted" $HOME');
  });
});

describe('anonymous volumes across a recreate', () => {
  const project = uniqueProject('anon-volumes');
  let dir = '';
  const made = new Set<string>();
  afterAll(async () => {
    await cleanupProject(project);
    // the volumes -V left behind (as Compose does): not attached to any container any more
    await Promise.all(
      [...made].map((v) =>
        docker
          .getVolume(v)
          .remove()
          .catch(() => {}),
      ),
    );
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('a recreate keeps the old container’s anonymous volumes (as Compose does); -V gives fresh ones', async () => {
    const t = tempCompose(
      'anon-volumes',
      [
        'services:',
        '  app:',
        '    image: berth/busybox',
        '    command: ["sleep", "3600"]',
        '    stop_signal: SIGKILL',
        '    environment: {REV: "${REV:-1}"}',
        '    volumes: ["/scratch", "named:/named"]',
        'volumes:',
        '  named: {}',
        '',
      ].join('\n'),
    );
    dir = t.dir;
    const cli = (rev: string) => stackCli(project, t.file, { REV: rev });
    const container = async () => {
      const [c] = await docker.listContainers({
        all: true,
        filters: JSON.stringify({ label: [`dev.berth.project=${project}`] }),
      });
      const info = await docker.getContainer(c!.Id).inspect();
      const scratch = info.Mounts.find((m) => m.Destination === '/scratch')!;
      made.add(scratch.Name!);
      return { id: info.Id, scratch: scratch.Name!, exec: (cmd: string[]) => execIn(project, 'app', cmd) };
    };
    ok(await cli('1').run('up', '-d'));
    const first = await container();
    await first.exec(['sh', '-c', 'echo kept > /scratch/mark']);

    ok(await cli('2').run('up', '-d'));
    const second = await container();
    expect(second.id).not.toBe(first.id);
    expect(second.scratch).toBe(first.scratch);
    expect(await second.exec(['cat', '/scratch/mark'])).toBe('kept\n');

    // down -v removes the volume the successor was handed, though the engine only removes its own ones
    ok(await cli('2').run('down', '-v'));
    await expect(docker.getVolume(first.scratch).inspect()).rejects.toMatchObject({ statusCode: 404 });

    ok(await cli('1').run('up', '-d'));
    const fresh = await container();
    await fresh.exec(['sh', '-c', 'echo old > /scratch/mark']);
    ok(await cli('3').run('up', '-d', '--renew-anon-volumes'));
    const renewed = await container();
    expect(renewed.id).not.toBe(fresh.id);
    expect(renewed.scratch).not.toBe(fresh.scratch);
    expect(await renewed.exec(['ls', '/scratch'])).toBe('');
  });
});
