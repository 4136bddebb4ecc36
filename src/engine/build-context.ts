// The build context as the engine receives it: a tar of the context directory without what `.dockerignore`
// excludes. Pattern matching is @balena/dockerignore (Docker's own rules: `**`, parent-directory matches,
// `!` exceptions, last match wins); this module adds what that library leaves to the caller and Docker's CLI
// does: never descending into an excluded directory unless an exception could re-include something in it
// (that keeps `node_modules/` from being walked at all), always sending the Dockerfile and the ignore file,
// and carrying an inline or out-of-context Dockerfile in the tar under a generated name.
import { randomBytes } from 'node:crypto';
import { existsSync, promises as fsp } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import dockerignore from '@balena/dockerignore';
import type { PackOptions } from 'tar-fs';
import type { BuildSpec } from '../spec/types.js';

/** `.dockerignore` lines in Docker's normal form: trimmed, no comments, cleaned, no leading slash. */
export function parseDockerignore(text: string): string[] {
  const out: string[] = [];
  for (const raw of text.split(/\r?\n/)) {
    let line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const negated = line.startsWith('!');
    if (negated) line = line.slice(1).trim();
    line = cleanPath(line);
    if (line.length > 1 && line.startsWith('/')) line = line.slice(1);
    if (line === '') continue;
    out.push(negated ? `!${line}` : line);
  }
  return out;
}

/** Go's filepath.Clean on a slash path: collapse `//`, drop `.` segments, resolve `..` where possible. */
function cleanPath(p: string): string {
  const rooted = p.startsWith('/');
  const parts: string[] = [];
  for (const seg of p.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..' && parts.length > 0 && parts[parts.length - 1] !== '..') parts.pop();
    else if (seg === '..' && rooted) continue;
    else parts.push(seg);
  }
  const joined = parts.join('/');
  return rooted ? `/${joined}` : joined || '.';
}

export interface ContextFilter {
  /** True when the path (relative, `/`-separated) is left out of the context. */
  excludes(rel: string): boolean;
  /** True when an excluded directory must still be walked because an exception pattern starts inside it. */
  mustDescend(relDir: string): boolean;
}

/**
 * The decision for every path of the context. `keep` names paths that are sent whatever the patterns say
 * (the Dockerfile and the ignore file, as Docker's CLI does).
 */
export function contextFilter(patterns: string[], keep: string[] = []): ContextFilter {
  // CJS module whose typings declare an ES default export: under NodeNext the factory is the default itself
  const factory = dockerignore as unknown as typeof dockerignore.default;
  const matcher = factory({ ignorecase: false }).add(patterns);
  const exceptions = patterns.filter((p) => p.startsWith('!')).map((p) => p.slice(1));
  const kept = new Set(keep.map((k) => cleanPath(k)));
  const keptDirs = new Set<string>();
  for (const k of kept) {
    const parts = k.split('/');
    for (let i = 1; i < parts.length; i++) keptDirs.add(parts.slice(0, i).join('/'));
  }
  return {
    excludes: (rel) => !kept.has(rel) && matcher.ignores(rel),
    // Same test as Docker's archive walker: an exception whose text starts with `dir/` (a literal prefix).
    mustDescend: (relDir) => keptDirs.has(relDir) || exceptions.some((e) => `${e}/`.startsWith(`${relDir}/`)),
  };
}

/**
 * Every path to send, in walk order, parents before children (relative, `/`-separated). An excluded
 * directory that must still be walked is not listed itself: its included children carry it, as in Docker.
 */
export async function listContext(root: string, filter: ContextFilter): Promise<string[]> {
  const out: string[] = [];
  const walk = async (relDir: string): Promise<void> => {
    const entries = await fsp.readdir(relDir === '' ? root : join(root, relDir), { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const rel = relDir === '' ? e.name : `${relDir}/${e.name}`;
      const isDir = e.isDirectory();
      if (filter.excludes(rel)) {
        if (isDir && filter.mustDescend(rel)) await walk(rel);
        continue;
      }
      if (e.isSocket()) continue;
      out.push(rel);
      if (isDir) await walk(rel);
    }
  };
  await walk('');
  return out;
}

export interface PreparedContext {
  /** The tar stream (uncompressed: the engine is local, gzip would only cost CPU). */
  tar: Readable;
  /** Dockerfile path inside the tar, for the engine's `dockerfile` parameter. */
  dockerfile: string;
  /** Number of paths sent (files, directories, links), for progress messages and tests. */
  entries: number;
}

/** Find the ignore file Docker would use: `<Dockerfile>.dockerignore` beside the Dockerfile, else `.dockerignore`. */
async function readIgnore(context: string, dockerfileAbs: string | undefined): Promise<string[]> {
  const candidates = [
    ...(dockerfileAbs ? [`${dockerfileAbs}.dockerignore`] : []),
    join(context, '.dockerignore'),
  ];
  for (const file of candidates) {
    if (existsSync(file)) return parseDockerignore(await fsp.readFile(file, 'utf8'));
  }
  return [];
}

/** Pack a service's build context for the engine, honouring `.dockerignore`. */
export async function prepareContext(build: BuildSpec): Promise<PreparedContext> {
  const { pack } = await import('tar-fs');
  const context = build.context;
  const dockerfileAbs = isAbsolute(build.dockerfile) ? build.dockerfile : resolve(context, build.dockerfile);
  const relDockerfile = relative(context, dockerfileAbs).split(sep).join('/');
  const outside = relDockerfile.startsWith('../') || isAbsolute(relDockerfile);

  // An inline Dockerfile, or one outside the context, travels inside the tar under a name no context uses.
  let extra: { name: string; content: Buffer } | undefined;
  if (build.dockerfile_inline !== undefined) {
    extra = { name: generatedName(), content: Buffer.from(build.dockerfile_inline) };
  } else if (outside) {
    extra = { name: generatedName(), content: await fsp.readFile(dockerfileAbs) };
  }
  const patterns = await readIgnore(context, extra ? undefined : dockerfileAbs);
  const keep = ['.dockerignore', ...(extra ? [] : [relDockerfile])];
  const entries = await listContext(context, contextFilter(patterns, keep));

  const tar = pack(context, {
    entries,
    // every path is listed in `entries`; never let tar-fs walk a directory on its own
    ignore: () => true,
    // send modes as they are on disk, as Docker's CLI does (tar-fs applies the process umask otherwise)
    umask: 0,
    finalize: extra === undefined,
    finish: (p) => {
      if (!extra) return;
      p.entry({ name: extra.name, mode: 0o644, mtime: new Date(0) }, extra.content);
      p.finalize();
    },
  } as PackOptions);
  return { tar, dockerfile: extra ? extra.name : relDockerfile, entries: entries.length };
}

const generatedName = () => `.berth-dockerfile-${randomBytes(6).toString('hex')}`;
