// Shared by the normalization modules: the context they read and small value readers. Values arrive
// validated by the schema but still loosely typed (strings from interpolation), hence the lenient readers.
import path from 'node:path';
import type { Lookup } from './interpolate.js';
import { locateIn, type Path, type Sources } from './source.js';
import type { NetworkSpec, ServiceNetwork, VolumeSpec } from '../model/stack.js';
import { parseBytes, parseDuration } from './units.js';

export interface NormalizeContext {
  sources: Sources;
  workingDir: string;
  name: string;
  project: string;
  client?: string;
  profiles: string[];
  /** Shell env, client env, .env — for `environment: [KEY]` without a value and for `~`. */
  lookup: Lookup;
  files: string[];
  warnings: string[];
  /** Shown file path for env_file messages. */
  show: (abs: string) => string;
  /** When a verb names services: whether this one's `env_file` is read (Compose reads only what it runs). */
  readsEnvFiles?: (service: string) => boolean;
  /** A service brought in by `include` reads its env files with its include's variables (see index.ts). */
  lookupFor?: (service: string) => Lookup | undefined;
}

export type Obj = Record<string, unknown>;
export const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);
export const str = (v: unknown): string => (v === null || v === undefined ? '' : String(v));
export const list = (v: unknown): unknown[] =>
  Array.isArray(v) ? v : v === null || v === undefined ? [] : [v];
export const strList = (v: unknown): string[] => list(v).map(str);
/** Booleans may arrive as strings after interpolation (`${DEBUG:-false}`). */
export const bool = (v: unknown): boolean =>
  v === true || (typeof v === 'string' && /^(true|yes|on|1)$/i.test(v));

export const opt = (v: unknown): string | undefined => (v === undefined || v === null ? undefined : str(v));

export function stringMap(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (isObj(v)) for (const [k, x] of Object.entries(v)) out[k] = str(x);
  return out;
}

export interface SvcCtx extends NormalizeContext {
  volumes: Record<string, VolumeSpec>;
  networks: Record<string, NetworkSpec>;
  secrets: Obj;
  configs: Obj;
  err: (p: Path, msg: string, hint?: string, kind?: 'key' | 'value') => void;
}

export function resolvePath(p: string, ctx: NormalizeContext): string {
  if (p === '~' || p.startsWith('~/')) {
    const home = ctx.lookup('HOME') ?? process.env.HOME ?? '/';
    return path.join(home, p.slice(1));
  }
  return path.resolve(ctx.workingDir, p);
}

export function duration(v: unknown, at: Path, ctx: SvcCtx): number | undefined {
  if (v === undefined || v === null) return undefined;
  const ms = parseDuration(v);
  if (ms === undefined)
    ctx.err(
      at,
      `${JSON.stringify(v)} is not a duration`,
      'write a number with a unit, e.g. 10s, 1m30s, 500ms',
    );
  return ms;
}

export function bytes(v: unknown, at: Path, ctx: SvcCtx): number | undefined {
  if (v === undefined || v === null) return undefined;
  const b = parseBytes(v);
  if (b === undefined)
    ctx.err(at, `${JSON.stringify(v)} is not a size`, 'write a number with a unit, e.g. 512m, 1.5g, 100k');
  return b;
}

/**
 * A file mode as Compose reads it. compose-go's YAML parser (yaml.v3) reads an unquoted `0440` as YAML 1.1
 * octal, where berth's (YAML 1.2) reads 440 decimal; so the number's own text decides: a leading 0 means
 * octal. A string (quoted, or from interpolation) is always octal, as compose-go's FileMode parses it.
 */
export function fileMode(v: unknown, at: Path, ctx: SvcCtx): number | undefined {
  if (v === undefined || v === null) return undefined;
  let mode: number | undefined;
  if (typeof v === 'string') {
    const m = /^(?:0o)?([0-7]+)$/.exec(v.trim());
    mode = m ? Number.parseInt(m[1]!, 8) : undefined;
  } else if (typeof v === 'number' && Number.isInteger(v)) {
    const raw = rawScalar(at, ctx);
    mode = raw && /^0[0-7]+$/.test(raw) ? Number.parseInt(raw, 8) : v;
  }
  if (mode === undefined || mode < 0 || mode > 0o7777) {
    ctx.err(at, `${JSON.stringify(v)} is not a file mode`, 'write it in octal, e.g. 0440 or "0440"');
    return undefined;
  }
  return mode;
}

/** The text of a scalar as written in its file (the parsed value has lost a leading 0). */
function rawScalar(at: Path, ctx: NormalizeContext): string | undefined {
  const doc = ctx.sources.docFor(at);
  const pos = doc ? locateIn(doc, at, 'value') : undefined;
  if (!doc || !pos) return undefined;
  return /^[0-9A-Za-z_+.-]+/.exec(doc.lines[pos.line - 1]?.slice(pos.col - 1) ?? '')?.[0];
}

/**
 * Network keys of a service, primary first: highest `priority`, then declaration order. The primary network
 * is the one a container is created on (API 1.41 takes one); it also carries the container's MAC address there.
 */
export function networkKeysByPriority(networks: Record<string, ServiceNetwork>): string[] {
  return Object.keys(networks)
    .map((k, i) => ({ k, i, p: networks[k]?.priority ?? 0 }))
    .sort((a, b) => b.p - a.p || a.i - b.i)
    .map(({ k }) => k);
}
