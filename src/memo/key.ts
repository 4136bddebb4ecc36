// Which memo answers a call: everything a call gets from outside besides files (those are its journal) goes
// into the key. The whole environment counts, not only the variables the load looked up: interpolation, the
// engine (DOCKER_HOST), colour, the client and berth's own settings all come from it, and a shell's environment
// does not change between two calls of one terminal, so hashing all of it costs no hits.
import { isatty as ttyOf } from 'node:tty';
import { hash128 } from './hash.js';

/** Variables a shell changes on its own between two calls, which no berth answer depends on. */
const VOLATILE = new Set(['_', 'OLDPWD', 'BERTH_MEMO_TRACE']);

export interface CallContext {
  /** The arguments after node and the script. */
  args: readonly string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** The build of berth (a memo of another build is never read). */
  build: string;
  uid: number;
  /** Which of stdin, stdout, stderr are terminals (terminalOf). */
  terminal: string;
}

export function memoKey(c: CallContext): string {
  const env = Object.entries(c.env)
    .filter(([k]) => !VOLATILE.has(k))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return hash128(JSON.stringify([c.build, c.uid, c.cwd, c.terminal, c.args, env]));
}

/**
 * Which of stdin, stdout and stderr are terminals (colour, the UI, prompts depend on it). Asked of the file
 * descriptors: touching process.stdin and friends builds their streams, 5 ms of a memo hit.
 */
export function terminalOf(isatty: (fd: number) => boolean = ttyOf): string {
  return [0, 1, 2].map((fd) => (isatty(fd) ? 't' : '-')).join('');
}
