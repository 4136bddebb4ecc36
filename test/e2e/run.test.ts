// berth run on the real engine: a one-off container from the service's definition, dependencies first
// (unless --no-deps), exit code, overrides, --rm, -d, -p, and a build on demand.
import { execFileSync, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { cleanupProject, docker, uniqueProject } from './helpers.js';
import { BIN, berth, collect, engineContainers, ROOT, tempCompose } from './up-cli.js';

const name = uniqueProject('run');
let dir: string;
let file: string;
const cli = (...args: string[]) => berth(['-f', file, ...args]);
const oneOffs = async () =>
  (await engineContainers(name)).filter((c) => c.labels['dev.berth.oneoff'] === 'true');

beforeAll(() => {
  ({ dir, file } = tempCompose(
    'run',
    `name: ${name}
services:
  db:
    image: berth/busybox:latest
    command: ["sleep", "300"]
  app:
    image: berth/busybox:latest
    command: ["sh", "-c", "echo default command; echo to-stderr >&2"]
    environment:
      FROM_FILE: file-value
    depends_on: [db]
    restart: always
    ports: ["127.0.0.1::80"]
  built:
    build: ${path.join(ROOT, 'fixtures/build/app')}
`,
  ));
});

afterAll(async () => {
  await cleanupProject(name);
  const labelled = await docker.listImages({
    all: true,
    filters: JSON.stringify({ label: [`dev.berth.stack=${name}`] }),
  });
  for (let pass = 0; pass < 2; pass++) {
    for (const ref of [`${name}-built`, ...labelled.map((i) => i.Id)]) {
      await docker
        .getImage(ref)
        .remove({ force: true })
        .catch(() => {});
    }
  }
  rmSync(dir, { recursive: true, force: true });
});

test('--no-deps runs just the one-off; --rm leaves nothing behind', async () => {
  const r = await cli('run', '--rm', '--no-deps', 'app');
  expect(r.code).toBe(0);
  expect(r.stdout).toBe('default command\n');
  expect(r.stderr).toContain('to-stderr');
  expect(await engineContainers(name)).toEqual([]);
});

test('dependencies start first; the exit code is the container’s; the one-off is labelled and named', async () => {
  const r = await cli('run', 'app', 'sh', '-c', 'nslookup db >/dev/null 2>&1 && echo db-resolves; exit 5');
  expect(r.code).toBe(5);
  expect(r.stdout).toContain('db-resolves');
  const all = await engineContainers(name);
  expect(all.find((c) => c.name === `${name}-db-1`)?.state).toBe('running');
  const [one] = await oneOffs();
  expect(one?.name).toMatch(new RegExp(`^${name}-app-run-[0-9a-f]{6}$`));
  expect(one?.labels['dev.berth.service']).toBe('app');
  expect(one?.labels['dev.berth.replica']).toBeUndefined();
  // a one-off runs once and gets neither the restart policy nor the service's ports
  const info = await docker.getContainer(one!.id).inspect();
  expect(info.HostConfig.RestartPolicy?.Name ?? '').toMatch(/^(no)?$/);
  expect(info.HostConfig.PortBindings ?? {}).toEqual({});
  await docker.getContainer(one!.id).remove({ force: true });
});

test('-e, --entrypoint, -u and -w override the service; stdin reaches the container', async () => {
  const r = await cli(
    'run',
    '--rm',
    '--no-deps',
    '-e',
    'X=from-flag',
    '-u',
    '1234',
    '-w',
    '/bin',
    '--entrypoint',
    'sh',
    'app',
    '-c',
    'echo $X $FROM_FILE $(id -u) $(pwd)',
  );
  expect(r.code).toBe(0);
  expect(r.stdout).toBe('from-flag file-value 1234 /bin\n');
  const child = spawn(process.execPath, [BIN, '-f', file, 'run', '--rm', '--no-deps', '-T', 'app', 'cat'], {
    cwd: ROOT,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  child.stdin.end('piped in\n');
  const piped = await collect(child);
  expect(piped.code).toBe(0);
  expect(piped.stdout).toBe('piped in\n');
});

test('-d prints the name and leaves it running; -p publishes on 127.0.0.1 by default', async () => {
  const r = await cli(
    'run',
    '-d',
    '--no-deps',
    '-p',
    '8080',
    '--name',
    `${name}-custom`,
    'app',
    'sleep',
    '60',
  );
  expect(r.code).toBe(0);
  expect(r.stdout).toBe(`${name}-custom\n`);
  const info = await docker.getContainer(`${name}-custom`).inspect();
  expect(info.State.Running).toBe(true);
  expect(info.Config.Labels['dev.berth.oneoff']).toBe('true');
  expect(info.HostConfig.PortBindings?.['8080/tcp']?.[0]?.HostIp).toBe('127.0.0.1');
  await docker.getContainer(info.Id).remove({ force: true });
});

test('a service whose image is missing is built before it runs', async () => {
  const r = await cli('run', '--rm', 'built', 'cat', '/greeting');
  expect(r.stderr).not.toContain('internal error');
  expect(r.code).toBe(0);
  expect(r.stdout).toBe('none\n');
  expect(r.stderr).toContain(`${name}-built built`);
});

test("a TTY when stdin and stdout are terminals (under script), exit code still the container's", () => {
  let out = '';
  let code = 0;
  try {
    out = execFileSync(
      'script',
      [
        '-qec',
        `${process.execPath} ${BIN} -f ${file} run --rm --no-deps app sh -c "tty; exit 3"`,
        '/dev/null',
      ],
      { encoding: 'utf8', cwd: ROOT },
    );
  } catch (err) {
    const e = err as { status: number; stdout: string };
    code = e.status;
    out = e.stdout;
  }
  expect(out).toMatch(/^\/dev\/pts\/\d+\r*\n$/);
  expect(code).toBe(3);
});
