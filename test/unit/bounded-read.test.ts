// Every file the loader reads is a regular text file of at most 16 MiB: a FIFO, /dev/zero, a huge or binary
// file fails at once with its name and the line that referred to it, and only YAML maps are quoted back.
import { execFileSync } from 'node:child_process';
import { chmodSync, closeSync, mkdtempSync, openSync, ftruncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { FileReadError, MAX_FILE_BYTES, readBounded } from '../../src/compose/bounded-read.js';
import { loadStack } from '../../src/compose/index.js';
import { BerthError, ExitCode } from '../../src/errors.js';
import { stackDir } from './compose-helpers.js';

const scratch = () => mkdtempSync(path.join(tmpdir(), 'berth-read-'));

function fifo(): string {
  const f = path.join(scratch(), 'pipe');
  execFileSync('mkfifo', [f]);
  return f;
}

function sparse(bytes: number): string {
  const f = path.join(scratch(), 'big.yaml');
  const fd = openSync(f, 'w');
  ftruncateSync(fd, bytes);
  closeSync(fd);
  return f;
}

function loadErr(dir: string, opts: { envFiles?: string[]; files?: string[] } = {}): BerthError {
  try {
    loadStack({ files: opts.files ?? [], cwd: dir, profiles: [], envFiles: opts.envFiles ?? [], env: {} });
  } catch (e) {
    expect(e).toBeInstanceOf(BerthError);
    return e as BerthError;
  }
  throw new Error('expected the load to fail');
}

describe('readBounded', () => {
  test('a regular text file is read whole', () => {
    const f = path.join(scratch(), 'a.env');
    writeFileSync(f, 'A=1\n');
    expect(readBounded(f, 'a.env', 'env file')).toBe('A=1\n');
  });

  test('refuses, each with a reason a caller can act on', () => {
    const cases: Array<[string, string, RegExp]> = [
      [path.join(scratch(), 'none.yaml'), 'missing', /^stack file X not found$/],
      [scratch(), 'directory', /^stack file X is a directory$/],
      ['/dev/zero', 'special', /^stack file X is not a regular file \(a character device\)$/],
      [fifo(), 'special', /^stack file X is not a regular file \(a named pipe\)$/],
      [sparse(MAX_FILE_BYTES + 1), 'too-big', /^stack file X is larger than 16 MiB$/],
      [sparse(100), 'binary', /^stack file X is not a text file \(it contains NUL bytes\)$/],
    ];
    for (const [file, reason, msg] of cases) {
      let err: unknown;
      try {
        readBounded(file, 'X', 'stack file');
      } catch (e) {
        err = e;
      }
      expect(err, file).toBeInstanceOf(FileReadError);
      expect((err as FileReadError).reason, file).toBe(reason);
      expect((err as FileReadError).message, file).toMatch(msg);
      expect((err as FileReadError).exitCode).toBe(ExitCode.BadInput);
    }
  });

  test('a small limit is enforced on what is read, not only on what stat says (files in /proc say 0)', () => {
    const e = (() => {
      try {
        readBounded('/proc/self/status', 'status', 'env file', 64);
      } catch (err) {
        return err as FileReadError;
      }
    })();
    expect(e?.reason).toBe('too-big');
  });

  test('an unreadable file', () => {
    if (process.getuid?.() === 0) {
      // root reads anything: a file under a directory without search permission is the same for root
      expect(() => readBounded('/proc/1/mem', 'mem', 'env file')).toThrow(FileReadError);
      return;
    }
    const f = path.join(scratch(), 'secret.env');
    writeFileSync(f, 'A=1\n');
    chmodSync(f, 0o000);
    expect(() => readBounded(f, 'secret.env', 'env file')).toThrow(
      /cannot read env file secret\.env \(EACCES\)/,
    );
  });
});

describe('the loader names the file and the line that referred to it', () => {
  const pipe = fifo();
  test.each([
    [
      'env_file',
      `services:\n  a:\n    image: x\n    env_file: ${pipe}\n`,
      4,
      /env file .*pipe is not a regular file \(a named pipe\)/,
    ],
    [
      'env_file /dev/zero',
      'services:\n  a:\n    image: x\n    env_file: [/dev/zero]\n',
      4,
      /env file \/dev\/zero is not a regular file \(a character device\)/,
    ],
    [
      'include',
      `include: [${pipe}]\nservices:\n  a:\n    image: x\n`,
      1,
      /stack file .*pipe is not a regular file/,
    ],
    [
      'include /dev/zero',
      'include:\n  - path: /dev/zero\nservices:\n  a:\n    image: x\n',
      2,
      /stack file \/dev\/zero is not a regular file/,
    ],
    [
      'extends',
      'services:\n  a:\n    extends:\n      file: /dev/zero\n      service: b\n',
      4,
      /stack file \/dev\/zero is not a regular file/,
    ],
  ])('%s', (_, text, line, msg) => {
    const e = loadErr(stackDir({ 'compose.yaml': text }));
    expect(e.exitCode).toBe(ExitCode.BadInput);
    expect(e.message).toMatch(msg);
    expect(e.pos?.file).toBe('compose.yaml');
    expect(e.pos?.line).toBe(line);
  });

  test('a stack file or --env-file that is a FIFO or too big', () => {
    const dir = stackDir({ 'compose.yaml': 'services:\n  a:\n    image: x\n' });
    expect(loadErr(dir, { files: [pipe] }).message).toMatch(/is not a regular file/);
    expect(loadErr(dir, { files: [sparse(MAX_FILE_BYTES + 10)] }).message).toMatch(/is larger than 16 MiB/);
    expect(loadErr(dir, { envFiles: [pipe] }).message).toMatch(/^env file .* is not a regular file/);
  });

  test('a default .env that is a FIFO is an error, not a hang; a missing one is fine', () => {
    const dir = stackDir({ 'compose.yaml': 'services:\n  a:\n    image: x\n' });
    expect(loadStack({ files: [], cwd: dir, profiles: [], envFiles: [], env: {} }).services.a).toBeDefined();
    execFileSync('mkfifo', [path.join(dir, '.env')]);
    expect(loadErr(dir).message).toMatch(/^env file \.env is not a regular file/);
  });

  test('env_file with `required: false` skips a missing file but not a device', () => {
    const ok = stackDir({
      'compose.yaml': 'services:\n  a:\n    image: x\n    env_file: [{path: ./nope.env, required: false}]\n',
    });
    expect(loadStack({ files: [], cwd: ok, profiles: [], envFiles: [], env: {} }).services.a).toBeDefined();
    const dev = stackDir({
      'compose.yaml': 'services:\n  a:\n    image: x\n    env_file: [{path: /dev/zero, required: false}]\n',
    });
    expect(loadErr(dev).message).toMatch(/\/dev\/zero is not a regular file/);
  });
});

describe('code frames quote only YAML stack files', () => {
  test('an include of /proc/self/environ does not echo the environment', () => {
    process.env.BERTH_TEST_SECRET = 'hunter2';
    try {
      const e = loadErr(
        stackDir({ 'compose.yaml': 'include: [/proc/self/environ]\nservices:\n  a:\n    image: x\n' }),
      );
      expect(`${e.message}${e.frame ?? ''}${e.hint ?? ''}`).not.toMatch(/hunter2|PATH=/);
      expect(e.message).toMatch(/\/proc\/self\/environ is not a text file/);
      expect(e.pos).toMatchObject({ file: 'compose.yaml', line: 1 });
    } finally {
      delete process.env.BERTH_TEST_SECRET;
    }
  });

  test('an included file that is not a YAML map (a .env, a key) is named but not quoted', () => {
    for (const text of [
      'PASSWORD=hunter2\n',
      '-----BEGIN KEY-----\nhunter2\n-----END KEY-----\n',
      '- hunter2\n- x: [\n',
      '"hunter2\n',
    ]) {
      const e = loadErr(
        stackDir({
          'compose.yaml': 'include: [secret.txt]\nservices:\n  a:\n    image: x\n',
          'secret.txt': text,
        }),
      );
      const all =
        e instanceof BerthError && 'errors' in e ? (e as unknown as { errors: BerthError[] }).errors : [e];
      // (the schema's own message may still describe a scalar value; the frame never quotes the file)
      for (const one of all) expect(one.frame ?? '', text).not.toMatch(/hunter2/);
      expect(
        all.some((one) => one.pos?.file === 'secret.txt'),
        text,
      ).toBe(true);
    }
  });

  test('a broken stack file is still quoted', () => {
    const e = loadErr(stackDir({ 'compose.yaml': 'services:\n  a:\n    image: [x\n' }));
    expect(e.frame).toMatch(/ 3 \| {5}image: \[x/);
  });
});

test('an included file with several YAML errors: each keeps its own file:line', () => {
  const e = loadErr(
    stackDir({
      'compose.yaml': 'include: [a.yaml, b.yaml]\nservices:\n  x:\n    image: x\n',
      'a.yaml': 'services:\n  a:\n    image: x\n  image\n  container_name\n',
      'b.yaml': 'services: [\n',
    }),
  );
  const all = (e as unknown as { errors?: BerthError[] }).errors ?? [e];
  expect(all.length).toBeGreaterThan(1);
  for (const one of all) expect(one.pos?.file, one.message).toMatch(/^[ab]\.yaml$/);
});
