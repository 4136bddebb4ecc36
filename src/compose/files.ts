// Where stack files, .env files and client overlays are found on disk.
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { badInput } from '../errors.js';
import { noteInput } from '../inputs/journal.js';
import { FileReadError, readBounded } from './bounded-read.js';

/** berth's own name first, then Compose's names in Compose's order of preference. */
export const DEFAULT_FILES = [
  'berth.yaml',
  'compose.yaml',
  'compose.yml',
  'docker-compose.yml',
  'docker-compose.yaml',
];

/** Compose takes the first of these that exists next to the stack file, whatever the stack file's name. */
const COMPOSE_OVERRIDES = [
  'compose.override.yml',
  'compose.override.yaml',
  'docker-compose.override.yml',
  'docker-compose.override.yaml',
];

/**
 * As Compose v2: the stack file in `dir`, else in the nearest parent directory that has one, plus its override
 * file when no -f is given. The stack's directory (and so its `.env`) is where the file was found.
 */
export function discoverFiles(dir: string): string[] {
  const exists = (f: string) => {
    noteInput(f);
    return existsSync(f);
  };
  for (let d = path.resolve(dir); ; ) {
    const found = DEFAULT_FILES.map((n) => path.join(d, n)).find(exists);
    if (found) {
      const overrides = path.basename(found) === 'berth.yaml' ? ['berth.override.yaml'] : COMPOSE_OVERRIDES;
      const o = overrides.map((n) => path.join(d, n)).find(exists);
      return o ? [found, o] : [found];
    }
    const parent = path.dirname(d);
    if (parent === d) break;
    d = parent;
  }
  throw badInput(`no stack file in ${dir} or any parent directory`, {
    hint: `create one of ${DEFAULT_FILES.join(', ')}, or name it with -f FILE`,
  });
}

/** Paths in messages: relative to cwd when under it, so they are short and clickable. */
export function shownPath(abs: string, cwd: string): string {
  const rel = path.relative(cwd, abs);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : abs;
}

export function readText(file: string, shown: string, what = 'stack file'): string {
  try {
    return readBounded(file, shown, what);
  } catch (e) {
    if (e instanceof FileReadError && e.reason === 'missing')
      throw new FileReadError(e.message, e.reason, 'check the path given with -f / --env-file');
    throw e;
  }
}

/** Client names from `clients/*.yaml|*.yml|*.env` in a stack directory. */
export function clientFilesIn(dir: string): string[] {
  const d = path.join(dir, 'clients');
  let names: string[] = [];
  noteInput(d);
  try {
    names = readdirSync(d);
  } catch {
    return [];
  }
  const out = new Set<string>();
  for (const n of names) {
    const m = /^(.+)\.(ya?ml|env)$/.exec(n);
    if (m) out.add(m[1]!);
  }
  return [...out].sort();
}
