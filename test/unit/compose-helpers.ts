// A throwaway stack directory per test: files written from a map, loaded with an explicit environment.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type LoadOptions, loadStack } from '../../src/compose/index.js';

export function stackDir(files: Record<string, string>, name = 'proj'): string {
  const root = mkdtempSync(path.join(tmpdir(), 'berth-spec-'));
  const dir = path.join(root, name);
  mkdirSync(dir);
  for (const [f, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    writeFileSync(path.join(dir, f), text);
  }
  return dir;
}

export function load(files: Record<string, string>, opts: Partial<LoadOptions> = {}) {
  const dir = stackDir(files);
  return loadStack({ files: [], cwd: dir, profiles: [], envFiles: [], env: {}, ...opts });
}

/** The error a load throws, as the user would read it. */
export function loadError(files: Record<string, string>, opts: Partial<LoadOptions> = {}): string {
  try {
    load(files, opts);
  } catch (e) {
    const err = e as { message: string; hint?: string; pos?: { file: string; line: number; col: number } };
    const where = err.pos ? `${err.pos.file}:${err.pos.line}:${err.pos.col}: ` : '';
    return `${where}${err.message}${err.hint ? `\nhint: ${err.hint}` : ''}`;
  }
  throw new Error('expected the load to fail');
}
