// berth exec on the real engine: the command's exit code and streams, stdin, options, replicas, a TTY.
import { execFileSync, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { cleanupProject, docker, uniqueProject } from './helpers.js';
import { BIN, berth, collect, ROOT, type Run, tempCompose } from './up-cli.js';

const name = uniqueProject('exec');
let dir: string;
let file: string;
const cli = (...args: string[]) => berth(['-f', file, ...args]);

/** berth with something on its stdin. */
function withInput(input: string, ...args: string[]): Promise<Run> {
  const child = spawn(process.execPath, [BIN, '-f', file, ...args], {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: '1' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  child.stdin.end(input);
  return collect(child);
}

beforeAll(async () => {
  ({ dir, file } = tempCompose(
    'exec',
    `name: ${name}
services:
  web:
    image: berth/busybox:latest
    command: ["sleep", "300"]
    deploy:
      replicas: 2
  idle:
    image: berth/busybox:latest
    command: ["sleep", "300"]
`,
  ));
  const up = await cli('up', '-d', 'web');
  expect(up.code, up.stderr).toBe(0);
});

afterAll(async () => {
  await cleanupProject(name);
  rmSync(dir, { recursive: true, force: true });
});

test("exit code, stdout and stderr are the command's, kept apart", async () => {
  const r = await cli('exec', 'web', 'sh', '-c', 'echo out; echo err >&2; exit 7');
  expect(r.code).toBe(7);
  expect(r.stdout).toBe('out\n');
  expect(r.stderr).toBe('err\n');
});

test('stdin reaches the command and its end is seen', async () => {
  const r = await withInput('line one\nline two\n', 'exec', '-T', 'web', 'wc', '-l');
  expect(r.code).toBe(0);
  expect(r.stdout.trim()).toBe('2');
});

test('-e, -w and -u set the environment, directory and user', async () => {
  const r = await cli(
    'exec',
    '-e',
    'A=from-flag',
    '-w',
    '/bin',
    '-u',
    '1234',
    'web',
    'sh',
    '-c',
    'echo $A $(pwd) $(id -u)',
  );
  expect(r.code).toBe(0);
  expect(r.stdout).toBe('from-flag /bin 1234\n');
});

test('--index picks the replica', async () => {
  const second = await docker.getContainer(`${name}-web-2`).inspect();
  const r = await cli('exec', '--index', '2', 'web', 'hostname');
  expect(r.stdout.trim()).toBe(second.Config.Hostname);
  const none = await cli('exec', '--index', '3', 'web', 'true');
  expect(none.code).toBe(1);
  expect(none.stderr).toContain('replica 3');
});

test('-d returns at once and the command runs on in the container', async () => {
  const r = await cli('exec', '-d', 'web', 'sh', '-c', 'sleep 1; echo done > /marker');
  expect(r.code).toBe(0);
  let seen = '';
  for (let i = 0; i < 50 && seen !== 'done\n'; i++) {
    await new Promise((res) => setTimeout(res, 100));
    seen = (await cli('exec', 'web', 'cat', '/marker')).stdout;
  }
  expect(seen).toBe('done\n');
  expect((await docker.getContainer(`${name}-web-1`).inspect()).State.Running).toBe(true);
});

test('a TTY when stdin and stdout are terminals; none with -T', () => {
  // `script` gives berth a real pseudo-terminal, as a person's shell would
  const inTerminal = (args: string) =>
    execFileSync('script', ['-qec', `${process.execPath} ${BIN} -f ${file} ${args}`, '/dev/null'], {
      encoding: 'utf8',
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: '1' },
    });
  expect(inTerminal('exec web tty')).toMatch(/^\/dev\/pts\/\d+\r*\n$/);
  expect(inTerminal('exec -T web sh -c "tty || true"')).toMatch(/not a tty/);
});

test('a service without a running container, or not in the file: clear errors', async () => {
  const idle = await cli('exec', 'idle', 'true');
  expect(idle.code).toBe(1);
  expect(idle.stderr).toContain('berth up -d idle');
  const unknown = await cli('exec', 'nosuch', 'true');
  expect(unknown.code).toBe(2);
  expect(unknown.stderr).toContain('no such service: nosuch');
});
