// Parsed stack files cached by content: parsing YAML (and loading the yaml package) is most of a small
// `berth` run, and the same file is read again and again between edits. The cache holds only what parsing
// produced (values and their positions); everything after it (interpolation, validation, merging) runs every
// time, so the environment and other files always count. Keyed by berth version, the parser build, the path and the content.
// Disabled with BERTH_NO_CACHE=1; any cache problem just means parsing again.
import { createHash } from 'node:crypto';
import {
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import path from 'node:path';
import { VERSION } from '../version.js';

export interface CachedParse {
  value: unknown;
  reset: string[];
  override: string[];
  where: Array<[string, { key?: [number, number]; value?: [number, number] }]>;
}

const FORMAT = 1;

function cacheDir(): string | undefined {
  if (process.env.BERTH_NO_CACHE) return undefined;
  if (process.env.BERTH_CACHE_DIR) return process.env.BERTH_CACHE_DIR;
  const base = process.env.XDG_CACHE_HOME || (homedir() ? path.join(homedir(), '.cache') : tmpdir());
  return path.join(base, 'berth', 'parsed');
}

function keyOf(parser: string, file: string, text: string): string {
  return createHash('sha256')
    .update(`${FORMAT}\0${VERSION}\0${parser}\0${file}\0${text}`)
    .digest('hex')
    .slice(0, 40);
}

const MONTH_MS = 30 * 24 * 3600 * 1000;

function prune(dir: string): void {
  const now = Date.now();
  for (const name of readdirSync(dir)) {
    const f = path.join(dir, name);
    try {
      if (now - statSync(f).atimeMs > MONTH_MS && now - statSync(f).mtimeMs > MONTH_MS) unlinkSync(f);
    } catch {
      // raced with another berth: fine
    }
  }
}

export function readCached(parser: string, file: string, text: string): CachedParse | undefined {
  const dir = cacheDir();
  if (!dir) return undefined;
  try {
    return JSON.parse(
      readFileSync(path.join(dir, `${keyOf(parser, file, text)}.json`), 'utf8'),
    ) as CachedParse;
  } catch {
    return undefined;
  }
}

export function writeCached(parser: string, file: string, text: string, parsed: CachedParse): void {
  const dir = cacheDir();
  if (!dir) return;
  try {
    mkdirSync(dir, { recursive: true });
    const target = path.join(dir, `${keyOf(parser, file, text)}.json`);
    // write then rename, so a concurrent reader never sees half a file
    const tmp = `${target}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(parsed));
    renameSync(tmp, target);
    // Now and then, drop entries nobody read for a month (every edit of a file leaves one behind).
    if (Math.random() < 0.02) prune(dir);
  } catch {
    // read-only home, full disk: the cache is an optimization only
  }
}
