// Parsed stack files cached by content: parsing YAML (and loading the yaml package) is most of a small
// `berth` run, and the same file is read again and again between edits. The cache holds only what parsing
// produced (values and their positions); everything after it (interpolation, validation, merging) runs every
// time, so the environment and the other files always count. Keyed by berth version, the parser build, the path and the content.
// Disabled with BERTH_NO_CACHE=1; any cache problem just means parsing again.
//
// A stack file may hold a password, so entries are private to the user (0600 in a 0700 folder) whatever the
// source's mode, and the cache is bounded: entries unused for 30 days go, and the oldest go beyond 50 MiB.
import { createHash } from 'node:crypto';
import {
  chmodSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  utimesSync,
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

/** Bump when CachedParse changes: entries of another format are never read, and the next prune removes them. */
const FORMAT = 2;
const PREFIX = `v${FORMAT}-`;

export const MAX_AGE_MS = 30 * 24 * 3600 * 1000;
export const MAX_TOTAL_BYTES = 50 * 1024 * 1024;
/** A parse bigger than this is cheaper to redo than to keep (and would crowd out everything else). */
const MAX_ENTRY_BYTES = 4 * 1024 * 1024;
/** Pruning lists the folder; once an hour is plenty. */
const PRUNE_EVERY_MS = 3600 * 1000;
const STAMP = '.pruned';

/** Names berth writes in the cache folder (this format or an older one, finished or half-written). */
const OURS = /^(v\d+-)?[0-9a-f]{32,40}\.((json|memo)(\.\d+\.tmp)?|valid)$/;

/** Where the cache lives, whether or not it is enabled. */
export function cachePath(): string {
  if (process.env.BERTH_CACHE_DIR) return process.env.BERTH_CACHE_DIR;
  const base = process.env.XDG_CACHE_HOME || (homedir() ? path.join(homedir(), '.cache') : tmpdir());
  return path.join(base, 'berth', 'parsed');
}

export const cacheEnabled = () => !process.env.BERTH_NO_CACHE;

function cacheDir(): string | undefined {
  return cacheEnabled() ? cachePath() : undefined;
}

function keyOf(parser: string, file: string, text: string): string {
  const hash = createHash('sha256')
    .update(`${FORMAT}\0${VERSION}\0${parser}\0${file}\0${text}`)
    .digest('hex')
    .slice(0, 40);
  return `${PREFIX}${hash}.json`;
}

export function readCached(parser: string, file: string, text: string): CachedParse | undefined {
  const dir = cacheDir();
  if (!dir) return undefined;
  try {
    return JSON.parse(readFileSync(path.join(dir, keyOf(parser, file, text)), 'utf8')) as CachedParse;
  } catch {
    return undefined;
  }
}

/**
 * A document (after interpolation) the schema found valid, on record by its fingerprint: an empty file
 * `<key>.valid`. Validation is pure in the document and the validator, so a record stands for as long as the
 * validator (`validatorId`) is the same; an invalid document is never recorded, so its errors always show.
 */
export function knownValid(validatorId: string, fingerprint: string): boolean {
  const dir = cacheDir();
  if (!dir) return false;
  try {
    return statSync(path.join(dir, validKey(validatorId, fingerprint))).isFile();
  } catch {
    return false;
  }
}

export function recordValid(validatorId: string, fingerprint: string): void {
  const dir = cacheDir();
  if (!dir) return;
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    writeFileSync(path.join(dir, validKey(validatorId, fingerprint)), '', { mode: 0o600 });
  } catch {
    // an optimization only
  }
}

function validKey(validatorId: string, fingerprint: string): string {
  const hash = createHash('sha256')
    .update(`${FORMAT}\0${VERSION}\0${validatorId}\0${fingerprint}`)
    .digest('hex')
    .slice(0, 40);
  return `${PREFIX}${hash}.valid`;
}

export function writeCached(parser: string, file: string, text: string, parsed: CachedParse): void {
  const body = JSON.stringify(parsed);
  if (body.length <= MAX_ENTRY_BYTES) writeEntry(keyOf(parser, file, text), body);
}

/**
 * Write an entry of the cache folder (a parse here, a memo from src/memo), if the cache is on: write then rename,
 * so a concurrent reader never sees half a file; `wx` so the 0600 mode always applies (a leftover file of that
 * name would keep its own mode). Prunes the folder when due.
 */
export function writeEntry(name: string, body: string): void {
  const dir = cacheDir();
  if (!dir) return;
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const target = path.join(dir, name);
    const tmp = `${target}.${process.pid}.tmp`;
    try {
      unlinkSync(tmp);
    } catch {
      // the usual case: no leftover
    }
    writeFileSync(tmp, body, { mode: 0o600, flag: 'wx' });
    renameSync(tmp, target);
    if (pruneDue(dir)) prune(dir);
  } catch {
    // read-only home, full disk: the cache is an optimization only
  }
}

/** The name of an entry of this format: `v2-<32 or 40 hex>.<ext>`. */
export const entryName = (hash40: string, ext: 'json' | 'valid' | 'memo') => `${PREFIX}${hash40}.${ext}`;

function pruneDue(dir: string): boolean {
  try {
    return Date.now() - statSync(path.join(dir, STAMP)).mtimeMs > PRUNE_EVERY_MS;
  } catch {
    return true;
  }
}

interface Entry {
  file: string;
  size: number;
  /** Last use: reads do not always update atime (noatime, relatime), so the later of atime and mtime. */
  used: number;
}

function entries(dir: string): Entry[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const out: Entry[] = [];
  for (const name of names) {
    if (!OURS.test(name)) continue;
    const file = path.join(dir, name);
    try {
      const st = statSync(file);
      if (st.isFile()) out.push({ file, size: st.size, used: Math.max(st.atimeMs, st.mtimeMs) });
    } catch {
      // removed meanwhile by another berth
    }
  }
  return out;
}

const tryUnlink = (f: string) => {
  try {
    unlinkSync(f);
    return true;
  } catch {
    return false;
  }
};

/**
 * Drop entries of another format, stale half-writes, entries unused for MAX_AGE_MS, then the least recently
 * used ones until the rest fits in `maxBytes`.
 */
export function prune(dir: string, now = Date.now(), maxBytes = MAX_TOTAL_BYTES): void {
  const keep: Entry[] = [];
  for (const e of entries(dir)) {
    const name = path.basename(e.file);
    const stale =
      !name.startsWith(PREFIX) ||
      (name.endsWith('.tmp') && now - e.used > PRUNE_EVERY_MS) ||
      now - e.used > MAX_AGE_MS;
    if (stale) tryUnlink(e.file);
    else if (!name.endsWith('.tmp')) keep.push(e);
  }
  let total = keep.reduce((n, e) => n + e.size, 0);
  keep.sort((a, b) => a.used - b.used);
  for (const e of keep) {
    if (total <= maxBytes) break;
    if (tryUnlink(e.file)) total -= e.size;
  }
  try {
    const stamp = path.join(dir, STAMP);
    writeFileSync(stamp, '', { mode: 0o600 });
    utimesSync(stamp, now / 1000, now / 1000);
    // a folder made by an older berth may be world-readable
    chmodSync(dir, 0o700);
  } catch {
    // not ours to fix, or read-only: entries are 0600 anyway
  }
}

export interface CacheInfo {
  dir: string;
  enabled: boolean;
  entries: number;
  /** Memos of answers (src/memo): `config -q` and no-op `up -d` calls berth can answer without loading. */
  memos: number;
  bytes: number;
  /** Entries written by another berth version's format (removed by the next prune or `cache clear`). */
  stale: number;
  oldest?: Date;
}

export function cacheInfo(): CacheInfo {
  const dir = cachePath();
  const list = entries(dir);
  // a record of a valid document (an empty file) is no entry of its own
  const current = list.filter((e) => path.basename(e.file).startsWith(PREFIX) && isParse(e.file));
  const oldest = current.reduce<number | undefined>(
    (m, e) => (m === undefined || e.used < m ? e.used : m),
    undefined,
  );
  return {
    dir,
    enabled: !process.env.BERTH_NO_CACHE,
    entries: current.length,
    memos: list.filter((e) => path.basename(e.file).startsWith(PREFIX) && isMemo(e.file)).length,
    bytes: list.reduce((n, e) => n + e.size, 0),
    stale: list.filter((e) => !path.basename(e.file).startsWith(PREFIX)).length,
    oldest: oldest === undefined ? undefined : new Date(oldest),
  };
}

const isParse = (file: string) => !file.endsWith('.valid') && !isMemo(file);
const isMemo = (file: string) => /\.memo(\.\d+\.tmp)?$/.test(file);

/** Removes every entry berth wrote (and nothing else in the folder). Returns how many files and bytes went. */
export function clearCache(): { files: number; bytes: number } {
  const dir = cachePath();
  let files = 0;
  let bytes = 0;
  for (const e of entries(dir)) {
    if (tryUnlink(e.file) && (isParse(e.file) || isMemo(e.file))) {
      files++;
      bytes += e.size;
    }
  }
  tryUnlink(path.join(dir, STAMP));
  return { files, bytes };
}
