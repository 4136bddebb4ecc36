import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { cleanupProject, docker, uniqueProject } from './helpers.js';
import { ROOT, stackCli } from './up-cli.js';

// `berth logs` on a real engine, against containers `berth up -d` made from fixtures/logs/mixed.
const project = uniqueProject('logs');
const file = path.join(ROOT, 'fixtures/logs/mixed/berth.yaml');
const cli = stackCli(project, file);

async function waitExited(services: string[]) {
  for (let i = 0; i < 100; i++) {
    const list = await docker.listContainers({
      all: true,
      filters: JSON.stringify({ label: [`dev.berth.project=${project}`] }),
    });
    const done = list.filter(
      (c) => services.includes(c.Labels['dev.berth.service']!) && c.State === 'exited',
    );
    if (done.length >= services.length + 1) return; // talk has two replicas
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('containers did not finish their output');
}

beforeAll(async () => {
  const up = await cli.run('up', '-d');
  expect(up.code, up.stderr).toBe(0);
  await waitExited(['talk', 'long', 'noise']);
});
afterAll(() => cleanupProject(project));

describe('berth logs (no -f)', () => {
  test('every line of every container, prefixed `service-n | ` (number only when replicated), padded to align', async () => {
    const r = await cli.run('logs');
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.split('\n').filter(Boolean);
    for (const n of [1, 2]) {
      for (let i = 1; i <= 5; i++) {
        expect(lines).toContain(`talk-${n} | talk out ${i}`);
        expect(lines).toContain(`talk-${n} | talk err ${i}`);
      }
    }
    expect(lines).toContain('tty    | tty one');
    expect(lines).toContain('tty    | tty two');
    expect(lines).toContain('noise  | after noise');
    // every prefix is 7 columns wide: the longest label is "talk-1"
    for (const l of lines) expect(l).toMatch(/^[a-z0-9-]{1,6} *\| /);
    for (const l of lines) expect(l.indexOf('|')).toBe(7);
    for (const l of lines) expect(l.startsWith('\u001b')).toBe(false); // not a terminal: no colour
  });

  test('lines of one container keep their order', async () => {
    const r = await cli.run('logs', 'talk');
    for (const n of [1, 2]) {
      const mine = r.stdout.split('\n').filter((l) => l.startsWith(`talk-${n} | talk out`));
      expect(mine).toEqual([1, 2, 3, 4, 5].map((i) => `talk-${n} | talk out ${i}`));
    }
  });

  test('a 100 000-character line arrives whole (the engine splits it into 16 KiB messages)', async () => {
    const r = await cli.run('logs', '--no-prefix', 'long');
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe(`${'x'.repeat(100_000)}END`);
    expect(lines[1]).toBe('after long');
  });

  test('binary noise and escape sequences are passed through without breaking the lines around them', async () => {
    const r = await cli.run('logs', '--no-prefix', 'noise');
    const lines = r.stdout.split('\n').filter(Boolean);
    expect(lines).toHaveLength(3);
    expect(lines[0]!.startsWith('bin \u0000\u0001')).toBe(true);
    expect(lines[0]!.endsWith(' noise')).toBe(true);
    expect(lines[1]).toBe('\u001b[31mred\u001b[0m');
    expect(lines[2]).toBe('after noise');
  });

  test('a TTY container (raw stream, CRLF) gives clean lines', async () => {
    const r = await cli.run('logs', 'tty');
    expect(r.stdout).toBe('tty | tty one\ntty | tty two\n');
  });

  test('--tail, --index, --no-prefix and -t', async () => {
    const tail = await cli.run('logs', '--tail', '1', 'talk');
    expect(tail.stdout.split('\n').filter(Boolean)).toHaveLength(2);
    const one = await cli.run('logs', '--index', '2', 'talk');
    const lines = one.stdout.split('\n').filter(Boolean);
    expect(lines).toHaveLength(10);
    for (const l of lines) expect(l.startsWith('talk-2 | ')).toBe(true);
    const ts = await cli.run('logs', '-t', 'tty');
    expect(ts.stdout).toMatch(/^tty \| \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z tty one\n/);
  });

  test('--since in the future gives nothing; a bad --since or an unknown service is a usage error', async () => {
    const none = await cli.run('logs', '--since', String(Math.floor(Date.now() / 1000) + 3600));
    expect(none.code).toBe(0);
    expect(none.stdout).toBe('');
    const bad = await cli.run('logs', '--since', 'yesterday');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--since "yesterday" is not a time');
    const unknown = await cli.run('logs', 'nope');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('no such service: nope');
  });

  test('with -p alone (no stack file), the project is found by its labels', async () => {
    const out = execFileSync(
      process.execPath,
      [path.join(ROOT, 'bin/berth.js'), '-p', project, 'logs', 'tty'],
      {
        cwd: '/',
        encoding: 'utf8',
      },
    );
    expect(out).toBe('tty | tty one\ntty | tty two\n');
  });
});
