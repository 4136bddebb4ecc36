// Every file the loader reads (stack files, overlays, includes, extends, .env and env_file) goes through here,
// so a path that names a FIFO, a device such as /dev/zero, a huge log or a binary file fails at once with a
// message naming it instead of hanging, eating memory, or quoting binary content back at the user.
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { BerthError, ExitCode } from '../errors.js';
import { noteInput } from '../inputs/journal.js';

/** Far above any real Compose or .env file, far below what would hurt to hold in memory. */
export const MAX_FILE_BYTES = 16 * 1024 * 1024;

export type ReadFailure = 'missing' | 'directory' | 'special' | 'too-big' | 'binary' | 'unreadable';

/** A file the loader could not (or would not) read; `reason` lets callers treat a missing file as optional. */
export class FileReadError extends BerthError {
  constructor(
    message: string,
    readonly reason: ReadFailure,
    hint?: string,
  ) {
    super(message, { exitCode: ExitCode.BadInput, hint });
    this.name = 'FileReadError';
  }
}

const mib = (n: number) => `${Math.round((n / 1024 / 1024) * 10) / 10} MiB`;

/**
 * The text of a regular file of at most `max` bytes. `what` and `shown` name it in errors ("env file
 * .env.local is larger than 16 MiB"). Throws FileReadError; the caller adds the line that referred to it.
 */
export function readBounded(file: string, shown: string, what: string, max = MAX_FILE_BYTES): string {
  noteInput(file);
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer forever
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    throw openFailure(e, what, shown);
  }
  try {
    const st = fstatSync(fd);
    if (st.isDirectory()) throw new FileReadError(`${what} ${shown} is a directory`, 'directory');
    if (!st.isFile())
      throw new FileReadError(
        `${what} ${shown} is not a regular file (${kindOf(st)})`,
        'special',
        'name a regular file; berth does not read pipes, devices or sockets',
      );
    if (st.size > max) throw tooBig(what, shown, st.size, max);
    // Read up to max+1 bytes whatever stat said: files in /proc report size 0, and a file may grow meanwhile.
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      // the stat size plus one byte first (to see EOF in one read), then small chunks for what stat missed
      const want = chunks.length === 0 && st.size > 0 ? st.size + 1 : 64 * 1024;
      const buf = Buffer.allocUnsafe(Math.min(want, max + 1 - total));
      let n: number;
      try {
        n = readSync(fd, buf, 0, buf.length, null);
      } catch (e) {
        throw unreadable(e, what, shown);
      }
      if (n === 0) break;
      chunks.push(n === buf.length ? buf : buf.subarray(0, n));
      total += n;
      if (total > max) throw tooBig(what, shown, total, max);
    }
    const bytes = Buffer.concat(chunks, total);
    if (bytes.includes(0))
      throw new FileReadError(
        `${what} ${shown} is not a text file (it contains NUL bytes)`,
        'binary',
        'check the path: it should name a YAML or KEY=VALUE text file',
      );
    return bytes.toString('utf8');
  } finally {
    closeSync(fd);
  }
}

function kindOf(st: ReturnType<typeof fstatSync>): string {
  if (st.isFIFO()) return 'a named pipe';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'not a file';
}

function tooBig(what: string, shown: string, size: number, max: number): FileReadError {
  return new FileReadError(
    `${what} ${shown} is larger than ${mib(max)}${size > max + 1 ? ` (${mib(size)})` : ''}`,
    'too-big',
    'check the path: stack and env files are small text files',
  );
}

function openFailure(e: unknown, what: string, shown: string): FileReadError {
  const code = (e as { code?: string }).code;
  if (code === 'ENOENT' || code === 'ENOTDIR')
    return new FileReadError(`${what} ${shown} not found`, 'missing');
  if (code === 'EISDIR') return new FileReadError(`${what} ${shown} is a directory`, 'directory');
  return unreadable(e, what, shown);
}

function unreadable(e: unknown, what: string, shown: string): FileReadError {
  const code = (e as { code?: string }).code;
  if (code === 'EISDIR') return new FileReadError(`${what} ${shown} is a directory`, 'directory');
  return new FileReadError(
    `cannot read ${what} ${shown} (${code ?? 'error'})`,
    'unreadable',
    code === 'EACCES' ? 'check the file permissions' : undefined,
  );
}
