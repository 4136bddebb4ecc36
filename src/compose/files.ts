// Where stack files, .env files and client overlays are found on disk.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { badInput } from '../errors.js';

export const DEFAULT_FILES = [
  'berth.yaml',
  'compose.yaml',
  'compose.yml',
  'docker-compose.yaml',
  'docker-compose.yml',
];

/** As Compose: `compose.yaml` picks up `compose.override.yaml` next to it when no -f is given. */
const overrideOf = (f: string) => f.replace(/\.(ya?ml)$/, '.override.$1');

export function discoverFiles(dir: string): string[] {
  for (const name of DEFAULT_FILES) {
    const f = path.join(dir, name);
    if (existsSync(f)) {
      const o = overrideOf(f);
      return existsSync(o) ? [f, o] : [f];
    }
  }
  throw badInput(`no stack file in ${dir}`, {
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
    return readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as { code?: string }).code;
    throw badInput(
      code === 'ENOENT'
        ? `${what} ${shown} not found`
        : code === 'EISDIR'
          ? `${what} ${shown} is a directory`
          : `cannot read ${what} ${shown} (${code ?? 'error'})`,
      { hint: code === 'ENOENT' ? 'check the path given with -f / --env-file' : undefined },
    );
  }
}

/** Client names from `clients/*.yaml|*.yml|*.env` in a stack directory. */
export function clientFilesIn(dir: string): string[] {
  const d = path.join(dir, 'clients');
  let names: string[] = [];
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
