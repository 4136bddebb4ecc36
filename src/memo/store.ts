// A memo on disk: one file per key in berth's cache folder (0600 in a 0700 folder, pruned and cleared with the
// parsed files: `berth cache clear`), read by bin/berth.js before anything else is loaded.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { cacheEnabled, cachePath, entryName, writeEntry } from '../compose/parse-cache.js';
import type { ObjectKind } from '../plan/ownership.js';

/** Bump when Memo changes: a memo of another format is a miss. */
const FORMAT = 1;

/**
 * A verb's answer for one key: what it wrote (stdout 1, stderr 2, in order) and exit code 0, valid while
 * every input still has its stamp and, for `up`, while the engine looks as it did.
 */
export interface Memo {
  format: number;
  inputs: Array<[string, string]>;
  out: Array<[1 | 2, string]>;
  engine?: EngineCheck;
}

/** What a no-op `up -d` saw of the engine: the same look must give the same facts for the answer to hold. */
export interface EngineCheck {
  socket: string;
  project: string;
  /** The names `up` would create: an object that takes one of them changes the answer. */
  claimed: Array<[ObjectKind, string]>;
  /** The images the services run, each inspected. */
  refs: string[];
  /** lookFacts of what it saw. */
  facts: string;
}

export const memoName = (key: string) => entryName(key, 'memo');

// The file: the memo as one line of JSON, then the engine facts as they are. Inside the JSON, the facts' 100 KB
// would be one escaped string for JSON.parse to unescape on every read.

export function readMemo(key: string): Memo | undefined {
  if (!cacheEnabled()) return undefined;
  try {
    const text = readFileSync(path.join(cachePath(), memoName(key)), 'utf8');
    const nl = text.indexOf('\n');
    const m = JSON.parse(nl < 0 ? text : text.slice(0, nl)) as Memo;
    if (m.format !== FORMAT) return undefined;
    if (m.engine) m.engine.facts = text.slice(nl + 1);
    return m;
  } catch {
    return undefined;
  }
}

export function writeMemo(key: string, memo: Omit<Memo, 'format'>): void {
  const { engine, ...rest } = memo;
  const head = { format: FORMAT, ...rest, ...(engine ? { engine: { ...engine, facts: '' } } : {}) };
  writeEntry(memoName(key), `${JSON.stringify(head)}\n${engine?.facts ?? ''}`);
}
