// One stack file as parsed: its plain value plus where every key and value was written, so any later stage
// (interpolation, schema, normalization, graph) can point the user at file:line:col.
import { statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { Document, Node } from 'yaml';
import { type BerthError, BerthErrors, badInput, type SourcePos } from '../errors.js';
import { type CachedParse, readCached, writeCached } from './parse-cache.js';
import { displayPath } from './paths.js';

// The yaml package is loaded only when a file is not in the parse cache: it is most of a small run's time.
const requireCjs = createRequire(import.meta.url);
const yamlLib = (): typeof import('yaml') => requireCjs('yaml');
/** Cached parses are only valid for this very parser: a rebuilt berth ignores its old entries. */
const PARSER_ID = (() => {
  try {
    const st = statSync(fileURLToPath(import.meta.url));
    return `${st.size}-${st.mtimeMs}`;
  } catch {
    return 'unknown';
  }
})();

export type Path = ReadonlyArray<string | number>;

interface Where {
  key?: [number, number];
  value?: [number, number];
}

export interface SourceDoc {
  /** Absolute path. */
  file: string;
  /** Path as shown to the user (relative to cwd when under it). */
  shown: string;
  text: string;
  value: unknown;
  /** Paths (joined with \0) tagged `!reset` / `!override` in this file. */
  reset: Set<string>;
  override: Set<string>;
  where: Map<string, Where>;
  lines: string[];
  /**
   * The further documents of a multi-document file (`---`), in order. Compose merges them one after the
   * other as if they were files of their own, so each is a layer with its own positions and tags.
   */
  more?: SourceDoc[];
}

interface ParsedDoc {
  value: unknown;
  reset: string[];
  override: string[];
  where: Array<[string, Where]>;
}

export const pathKey = (p: Path) => p.join('\0');

/**
 * Aliases of aliases blow a small file up exponentially (the "billion laughs"). A real file expands a few
 * anchors into each service, so what a file may expand to grows with its own size; the cap stops a bomb
 * after a fraction of a second instead of after a million nodes.
 */
const EXPANSION_BASE = 100_000;
const EXPANSION_PER_BYTE = 4;
const MAX_NODES = 2_000_000;
/** Deeper than any Compose file needs; it also bounds every later walk over the value (merge, interpolation). */
const MAX_DEPTH = 200;

/** Parses holding .inf, .nan or -0: JSON would bring them back as null or 0, so they are not cached. */
const notJson = new WeakSet<ParsedDoc>();

export function parseSource(file: string, shown: string, text: string): SourceDoc {
  const lines = text.split(/\r?\n/);
  const build = (p: ParsedDoc, n: number): SourceDoc => ({
    // A second document gets a name of its own: layers and caches are keyed by file.
    file: n === 0 ? file : `${file}#${n + 1}`,
    shown,
    text,
    value: p.value,
    reset: new Set(p.reset),
    override: new Set(p.override),
    where: new Map(p.where),
    lines,
  });
  const assemble = (docs: ParsedDoc[]): SourceDoc => {
    const first = build(docs[0]!, 0);
    if (docs.length > 1) first.more = docs.slice(1).map((d, i) => build(d, i + 1));
    return first;
  };
  const cached = readCached(PARSER_ID, file, text) as (CachedParse & { more?: ParsedDoc[] }) | undefined;
  if (cached) return assemble([cached, ...(cached.more ?? [])]);
  const docs = parseYaml(shown, text);
  const [first, ...more] = docs;
  if (!docs.some((d) => notJson.has(d)))
    writeCached(PARSER_ID, file, text, { ...first!, ...(more.length ? { more } : {}) } as CachedParse);
  return assemble(docs);
}

/** Every document of the file (Compose merges the documents of one file in order, like several files). */
function parseYaml(shown: string, text: string): ParsedDoc[] {
  const { isMap, LineCounter, parseAllDocuments } = yamlLib();
  const lc = new LineCounter();
  const tooDeepAt = deepNesting(text);
  if (tooDeepAt !== undefined) {
    const { line, col } = lineCol(text, tooDeepAt);
    throw badInput(`values are nested more than ${MAX_DEPTH} levels deep`, {
      pos: { file: shown, line, col },
      hint: DEEP_HINT,
    });
  }
  let parsed: ReturnType<typeof parseAllDocuments>;
  try {
    parsed = parseAllDocuments(text, {
      lineCounter: lc,
      merge: true,
      // checked in toValue with a Set: the parser's own check compares every key with every other (quadratic)
      uniqueKeys: false,
      prettyErrors: false,
      strict: true,
    });
  } catch (e) {
    throw tooDeep(e, shown);
  }
  const docs: Document[] = Array.isArray(parsed) ? parsed : [parsed];
  const lines = text.split(/\r?\n/);
  // Quote the file only when it is a YAML map at the top (or empty), i.e. meant as a stack file: a path that
  // names some other file (`include: /proc/self/environ`, a key, a .env) must not be echoed to the terminal.
  const quote = docs.every((d) => d.contents == null || isMap(d.contents));
  const frame = (line: number, col: number) => (quote ? codeFrame(lines, line, col) : undefined);
  const at = (offset: number): [number, number] => {
    const p = lc.linePos(offset);
    return [p.line, p.col];
  };
  const errors = docs.flatMap((d) => d.errors);
  if (errors.length > 0) {
    // One error per line: the parser often reports the same slip three ways.
    const seen = new Set<number>();
    const first = errors.filter((e) => {
      const line = at(e.pos[0])[0];
      if (seen.has(line)) return false;
      seen.add(line);
      return true;
    });
    const errs: BerthError[] = first.slice(0, 3).map((e) => {
      const [line, col] = at(e.pos[0]);
      const deep = /call stack/i.test(e.message);
      return badInput(deep ? DEEP_MESSAGE : yamlMessage(e.code, e.message), {
        pos: { file: shown, line, col },
        frame: frame(line, col),
        hint: deep ? DEEP_HINT : yamlHint(e.code),
      });
    });
    throw errs.length === 1 ? errs[0]! : new BerthErrors(errs);
  }
  if (docs.length === 0) return [{ value: null, reset: [], override: [], where: [] }];
  let count = 0;
  const maxNodes = Math.min(MAX_NODES, EXPANSION_BASE + EXPANSION_PER_BYTE * text.length);
  const out = docs.map((doc) => toParsed(doc, frame, shown, at, () => ++count, maxNodes));
  // A `---` with nothing after it opens an empty document: only a wholly empty file is an empty stack file.
  return out.filter((d, i) => i === 0 || d.value !== null);
}

function toParsed(
  doc: Document,
  frame: (line: number, col: number) => string | undefined,
  shown: string,
  at: (offset: number) => [number, number],
  tick: () => number,
  maxNodes: number,
): ParsedDoc {
  const { isAlias, isMap, isPair, isScalar, isSeq, visit } = yamlLib();
  const reset = new Set<string>();
  const override = new Set<string>();
  const where = new Map<string, Where>();
  let lossy = false;
  // Alias.resolve() walks the whole document each time (quadratic with `<<: *common` in every service), so
  // index the anchors once: an alias refers to the last anchor of that name before it.
  const anchors = new Map<string, Array<{ start: number; node: Node }>>();
  visit(doc, {
    Node(_, node) {
      const anchor = (node as { anchor?: string }).anchor;
      if (anchor && node.range) {
        const list = anchors.get(anchor) ?? [];
        list.push({ start: node.range[0], node });
        anchors.set(anchor, list);
      }
    },
  });
  const resolveAlias = (alias: Node & { source: string }): Node | undefined => {
    const at = alias.range?.[0] ?? Number.POSITIVE_INFINITY;
    let found: Node | undefined;
    for (const a of anchors.get(alias.source) ?? []) if (a.start < at) found = a.node;
    return found;
  };
  const record = (path: Path, kind: 'key' | 'value', node: Node | null | undefined) => {
    const range = node?.range;
    if (!range) return;
    const k = pathKey(path);
    const w = where.get(k) ?? {};
    if (w[kind] === undefined) w[kind] = at(range[0]);
    where.set(k, w);
  };
  const toValue = (node: Node | null | undefined, path: Path, depth: number): unknown => {
    if (tick() > maxNodes) {
      const [line, col] = at(node?.range?.[0] ?? 0);
      throw badInput(
        `this file expands to too many values (more than ${maxNodes.toLocaleString('en-US')}: aliases of aliases?)`,
        { pos: { file: shown, line, col }, hint: 'use fewer nested YAML aliases' },
      );
    }
    if (depth > MAX_DEPTH) {
      const [line, col] = at(node?.range?.[0] ?? 0);
      throw badInput(`values are nested more than ${MAX_DEPTH} levels deep (counting aliases)`, {
        pos: { file: shown, line, col },
        hint: DEEP_HINT,
      });
    }
    if (node == null) return null;
    record(path, 'value', node);
    const tag = (node as { tag?: string }).tag;
    if (tag === '!reset') reset.add(pathKey(path));
    if (tag === '!override') override.add(pathKey(path));
    if (isAlias(node)) {
      const target = resolveAlias(node as Node & { source: string });
      if (!target) {
        const [line, col] = at(node.range?.[0] ?? 0);
        throw badInput(`unknown alias *${(node as { source: string }).source}`, {
          pos: { file: shown, line, col },
          frame: frame(line, col),
          hint: 'define the anchor (&name) before using it',
        });
      }
      return toValue(target, path, depth + 1);
    }
    if (isScalar(node)) {
      if (tag === '!reset') return null;
      const v = node.value;
      if (typeof v === 'number' && (!Number.isFinite(v) || Object.is(v, -0))) lossy = true;
      // `!!binary` gives bytes: Compose (Go) reads them as a string; anything else non-plain, as its text
      if (v instanceof Uint8Array) return Buffer.from(v).toString('utf8');
      if (v !== null && typeof v === 'object') return String(v);
      return v;
    }
    if (isSeq(node)) return node.items.map((item, i) => toValue(item as Node, [...path, i], depth + 1));
    if (isMap(node)) {
      const out: Record<string, unknown> = {};
      const keys = new Set<string>();
      const merged: Record<string, unknown>[] = [];
      for (const pair of node.items) {
        if (!isPair(pair)) continue;
        const keyNode = pair.key as Node | null;
        const rawKey = isScalar(keyNode) ? keyNode.value : keyNode;
        if (isScalar(keyNode) && (rawKey === '<<' || typeof rawKey === 'symbol' || keyNode.source === '<<')) {
          // `<<: *a`, `<<: [*a, *b]`, or an alias to a list of maps (`<<: *both`), as Go's yaml reads them.
          const v = toValue(pair.value as Node, path, depth + 1);
          for (const m of Array.isArray(v) ? v : [v]) {
            if (m && typeof m === 'object' && !Array.isArray(m)) merged.push(m as Record<string, unknown>);
          }
          continue;
        }
        if (rawKey !== null && typeof rawKey === 'object') {
          const [line, col] = at(keyNode?.range?.[0] ?? 0);
          throw badInput('a map key must be a plain name, not a list or a map', {
            pos: { file: shown, line, col },
            frame: frame(line, col),
          });
        }
        const key = String(rawKey);
        if (key === '__proto__') {
          const [line, col] = at(keyNode?.range?.[0] ?? 0);
          throw badInput('`__proto__` cannot be used as a key', {
            pos: { file: shown, line, col },
            frame: frame(line, col),
          });
        }
        if (keys.has(key)) {
          const [line, col] = at(keyNode?.range?.[0] ?? 0);
          throw badInput(yamlMessage('DUPLICATE_KEY', ''), {
            pos: { file: shown, line, col },
            frame: frame(line, col),
            hint: yamlHint('DUPLICATE_KEY'),
          });
        }
        keys.add(key);
        record([...path, key], 'key', keyNode);
        out[key] = toValue(pair.value as Node, [...path, key], depth + 1);
      }
      // Merge keys: explicit keys win, then earlier merged maps win over later ones (YAML merge-key spec).
      if (merged.length === 0) return out;
      const result: Record<string, unknown> = {};
      for (const m of merged.reverse()) Object.assign(result, m);
      return Object.assign(result, out);
    }
    return (node as { toJSON?: () => unknown }).toJSON?.() ?? null;
  };
  let value: unknown;
  try {
    value = toValue(doc.contents as Node, [], 0);
  } catch (e) {
    throw tooDeep(e, shown);
  }
  const parsed: ParsedDoc = { value, reset: [...reset], override: [...override], where: [...where] };
  if (lossy) notJson.add(parsed);
  return parsed;
}

/**
 * Where the text nests deeper than MAX_DEPTH, found before parsing: the yaml package recurses per level and
 * its stack overflow lands at a depth that varies from run to run. Counts flow brackets outside quotes and
 * comments, and block indentation (two columns a level, `- ` included). Approximate on purpose: it only has
 * to stop what no Compose file contains, and toValue checks the exact depth afterwards.
 */
function deepNesting(text: string): number | undefined {
  let flow = 0;
  let lineStart = true;
  let indent = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10) {
      lineStart = true;
      indent = 0;
      continue;
    }
    if (lineStart) {
      // leading spaces and block indicators (`- `, `? `, `: `) each open a level
      if (
        c === 32 ||
        ((c === 45 || c === 63 || c === 58) && (text.charCodeAt(i + 1) === 32 || i + 1 === text.length))
      ) {
        if (++indent > 2 * MAX_DEPTH) return i;
        continue;
      }
      lineStart = false;
    }
    const prev = i > 0 ? text.charCodeAt(i - 1) : 10;
    const tokenStart =
      prev === 32 || prev === 9 || prev === 10 || prev === 91 || prev === 123 || prev === 44 || prev === 58;
    if (c === 35 /* # */ && (prev === 32 || prev === 9 || prev === 10)) {
      const eol = text.indexOf('\n', i);
      i = (eol < 0 ? text.length : eol) - 1;
    } else if ((c === 34 || c === 39) /* " ' */ && tokenStart) {
      // a quoted scalar: skip to its closing quote ('' and \" do not close)
      let j = i + 1;
      for (; j < text.length; j++) {
        const d = text.charCodeAt(j);
        if (c === 34 && d === 92) j++;
        else if (d === c) {
          if (c === 39 && text.charCodeAt(j + 1) === 39) j++;
          else break;
        }
      }
      i = j;
    } else if (c === 91 || c === 123) {
      if (++flow > MAX_DEPTH) return i;
    } else if ((c === 93 || c === 125) && flow > 0) flow--;
  }
  return undefined;
}

function lineCol(text: string, offset: number): { line: number; col: number } {
  let line = 1;
  let last = -1;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    last = i;
  }
  return { line, col: offset - last };
}

const DEEP_MESSAGE = 'values are nested too deeply for the YAML parser';
const DEEP_HINT = 'a Compose file needs only a few levels; look for runaway brackets or indentation';

/** The yaml package turns most stack overflows into an error entry; this catches the ones it lets through. */
function tooDeep(e: unknown, shown: string): unknown {
  if (e instanceof RangeError && /call stack/i.test(e.message))
    return badInput(DEEP_MESSAGE, { pos: { file: shown, line: 1, col: 1 }, hint: DEEP_HINT });
  return e;
}

function yamlMessage(code: string, message: string): string {
  const first = message.split('\n')[0] ?? message;
  switch (code) {
    case 'DUPLICATE_KEY':
      return 'duplicate key: a key may appear only once in a map';
    case 'TAB_AS_INDENT':
      return 'a tab is used for indentation; YAML needs spaces';
    case 'BAD_INDENT':
    case 'MISSING_CHAR':
    case 'UNEXPECTED_TOKEN':
      return `YAML syntax: ${first.replace(/ at line \d+, column \d+.*$/, '')}`;
    default:
      return `YAML syntax: ${first.replace(/ at line \d+, column \d+.*$/, '')}`;
  }
}

function yamlHint(code: string): string | undefined {
  switch (code) {
    case 'DUPLICATE_KEY':
      return 'remove one of the two entries, or merge them';
    case 'TAB_AS_INDENT':
      return 'replace the tab with spaces';
    case 'BAD_INDENT':
      return 'check the indentation: items of one map or list must line up';
    default:
      return 'check the YAML syntax on that line (quotes, colons, indentation)';
  }
}

/** Wider lines are cut around the column, so a frame stays one screen even for a minified file. */
const FRAME_WIDTH = 100;

/** A short code frame: the line before, the line, and a caret under the column. */
export function codeFrame(lines: string[], line: number, col: number): string {
  const out: string[] = [];
  const width = String(line + 1).length;
  // one window for both lines, so the caret stays under the column
  const from = col > FRAME_WIDTH - 20 ? col - (FRAME_WIDTH - 20) : 0;
  const cut = (t: string) => {
    const body = t.slice(from, from + FRAME_WIDTH);
    return `${from > 0 ? '…' : ''}${body}${t.length > from + FRAME_WIDTH ? '…' : ''}`;
  };
  for (let n = Math.max(1, line - 1); n <= Math.min(lines.length, line); n++) {
    const text = cut((lines[n - 1] ?? '').replace(/\t/g, ' '));
    out.push(`${n === line ? '>' : ' '} ${String(n).padStart(width)} | ${text}`);
  }
  out.push(`  ${' '.repeat(width)} | ${' '.repeat(Math.max(0, col - 1 - from + (from > 0 ? 1 : 0)))}^`);
  return out.join('\n');
}

/** Position of a path in one file: its value (or key), else the nearest ancestor that was written. */
export function locateIn(src: SourceDoc, path: Path, kind: 'key' | 'value' = 'value'): SourcePos | undefined {
  for (let n = path.length; n >= 0; n--) {
    const w = src.where.get(pathKey(path.slice(0, n)));
    const lc = n === path.length ? (w?.[kind] ?? w?.value ?? w?.key) : (w?.key ?? w?.value);
    if (lc) return { file: src.shown, line: lc[0], col: lc[1] };
  }
  return undefined;
}

function hasExact(src: SourceDoc, path: Path): boolean {
  return src.where.has(pathKey(path));
}

/**
 * After merging, a value may come from any file. The last file that wrote the exact path wins (that is the one
 * merge kept); failing that, the nearest ancestor path in the last file that has one.
 */
export class Sources {
  readonly docs: SourceDoc[] = [];
  add(doc: SourceDoc) {
    this.docs.push(doc);
  }
  docFor(path: Path): SourceDoc | undefined {
    for (let n = path.length; n >= 0; n--) {
      const p = path.slice(0, n);
      for (let i = this.docs.length - 1; i >= 0; i--) if (hasExact(this.docs[i]!, p)) return this.docs[i];
    }
    return this.docs[0];
  }
  /** Where a path was written, with its code frame, without building an error. */
  locate(path: Path, kind: 'key' | 'value' = 'value'): { pos: SourcePos; frame: string } | undefined {
    const doc = this.docFor(path);
    const pos = doc ? locateIn(doc, path, kind) : undefined;
    return pos && doc ? { pos, frame: frameOf(doc, pos) ?? '' } : undefined;
  }
  error(path: Path, message: string, opts: { hint?: string; kind?: 'key' | 'value' } = {}): BerthError {
    const doc = this.docFor(path);
    return errorAt(doc, path, message, opts);
  }
}

export function errorAt(
  doc: SourceDoc | undefined,
  path: Path,
  message: string,
  opts: { hint?: string; kind?: 'key' | 'value' } = {},
): BerthError {
  const pos = doc ? (locateIn(doc, path, opts.kind) ?? { file: doc.shown, line: 1, col: 1 }) : undefined;
  const label = path.length > 0 ? `\`${displayPath(path)}\`: ` : '';
  return badInput(`${label}${message}`, {
    pos,
    frame: pos && doc ? frameOf(doc, pos) : undefined,
    hint: opts.hint,
  });
}

/** Only a file that parsed as a YAML map (a stack file) or as nothing at all is quoted; see parseYaml. */
function frameOf(doc: SourceDoc, pos: SourcePos): string | undefined {
  const v = doc.value;
  if (v !== null && v !== undefined && (typeof v !== 'object' || Array.isArray(v))) return undefined;
  return codeFrame(doc.lines, pos.line, pos.col);
}
