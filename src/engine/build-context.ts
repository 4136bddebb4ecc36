// The build context as the engine receives it: a tar of the context directory without what `.dockerignore`
// excludes. Pattern matching is @balena/dockerignore (Docker's own rules: `**`, parent-directory matches,
// `!` exceptions, last match wins); this module adds what that library leaves to the caller and Docker's CLI
// does: never descending into an excluded directory unless an exception could re-include something in it
// (that keeps `node_modules/` from being walked at all), always sending the Dockerfile and the ignore file,
// and carrying an inline or out-of-context Dockerfile in the tar under a generated name. The tar is written
// with tar-stream: small files are read whole, a window ahead of the writer, which is what makes a context of
// many small files (node_modules, src trees) fast; big files are streamed.
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, existsSync, promises as fsp } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import dockerignore from '@balena/dockerignore';
import tarStream, { type Headers } from 'tar-stream';
import type { BuildSpec } from '../model/stack.js';

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

/**
 * Pack a service's build context for the engine, honouring `.dockerignore`. `dockerfileText`: the Dockerfile
 * to build instead of the file's own text (the named-context rewrite); the ignore rules stay the file's.
 */
export async function prepareContext(build: BuildSpec, dockerfileText?: string): Promise<PreparedContext> {
  const context = build.context;
  const dockerfileAbs = isAbsolute(build.dockerfile) ? build.dockerfile : resolve(context, build.dockerfile);
  const relDockerfile = relative(context, dockerfileAbs).split(sep).join('/');
  const inline = build.dockerfile_inline !== undefined;
  const outside = !inline && (relDockerfile.startsWith('../') || isAbsolute(relDockerfile));

  // An inline, rewritten or out-of-context Dockerfile travels inside the tar under a name no context uses.
  let extra: { name: string; content: Buffer } | undefined;
  if (dockerfileText !== undefined) extra = { name: generatedName(), content: Buffer.from(dockerfileText) };
  else if (inline) extra = { name: generatedName(), content: Buffer.from(build.dockerfile_inline!) };
  else if (outside) extra = { name: generatedName(), content: await fsp.readFile(dockerfileAbs) };
  const own = !inline && !outside;
  const patterns = await readIgnore(context, own ? dockerfileAbs : undefined);
  const keep = ['.dockerignore', ...(own ? [relDockerfile] : [])];
  const entries = await listContext(context, contextFilter(patterns, keep));

  const tar = packEntries(context, entries, extra);
  return { tar, dockerfile: extra ? extra.name : relDockerfile, entries: entries.length };
}

/**
 * A folder as a tar of its files without what its `.dockerignore` excludes: a named context's content, as
 * `COPY . /` onto scratch would take it. `digest` resolves, once the tar is fully written, to a SHA-256 of
 * what it holds: paths, types, modes, link targets and file contents, not times (a `touch` is no change, as
 * for BuildKit's content keys), computed from the bytes as they are packed, so the files are read once.
 */
export async function packFolder(
  root: string,
): Promise<{ tar: Readable; entries: string[]; digest: Promise<string> }> {
  const entries = await listContext(root, contextFilter(await readIgnore(root, undefined)));
  const hash = createHash('sha256');
  let done!: (hex: string) => void;
  let failed!: (err: Error) => void;
  const digest = new Promise<string>((res, rej) => {
    done = res;
    failed = rej;
  });
  // a caller that stops at the tar's error need not also handle the digest's
  digest.catch(() => {});
  const tar = packEntries(root, entries, undefined, {
    update: (d) => hash.update(d),
    end: () => done(hash.digest('hex')),
  });
  tar.once('error', failed);
  tar.once('close', () => failed(new Error('the context tar was closed before it was complete')));
  return { tar, entries, digest };
}

const generatedName = () => `.berth-dockerfile-${randomBytes(6).toString('hex')}`;

/** Files up to this size are read whole (in parallel, ahead of the writer); larger ones are streamed. */
const WHOLE_FILE_MAX = 1 << 20;
/** Paths stat-ed and read ahead of the tar writer. */
const READ_AHEAD = 32;

interface Loaded {
  rel: string;
  stat: import('node:fs').Stats;
  body?: Buffer;
  linkname?: string;
}

/**
 * Write the listed paths into a tar stream, in order, honouring the reader's pace (tar-stream calls back
 * when it wants more). Owner is root and modes are as on disk, as Docker's CLI sends a build context.
 */
function packEntries(
  root: string,
  entries: string[],
  extra?: { name: string; content: Buffer },
  digest?: { update: (data: string | Buffer) => void; end: () => void },
): Readable {
  const pack = tarStream.pack();
  const load = async (rel: string): Promise<Loaded> => {
    const abs = join(root, rel);
    const stat = await fsp.lstat(abs);
    if (stat.isSymbolicLink()) return { rel, stat, linkname: await fsp.readlink(abs) };
    if (stat.isFile() && stat.size <= WHOLE_FILE_MAX) return { rel, stat, body: await fsp.readFile(abs) };
    return { rel, stat };
  };
  const write = (header: Headers, body?: Buffer) =>
    new Promise<void>((res, rej) => {
      const cb = (err?: Error | null) => (err ? rej(err) : res());
      if (body) pack.entry(header, body, cb);
      else pack.entry(header, cb);
    });
  const streamFile = (header: Headers, abs: string) =>
    new Promise<void>((res, rej) => {
      const sink = pack.entry(header, (err?: Error | null) => (err ? rej(err) : res()));
      const source = createReadStream(abs);
      source.on('error', (err) => sink.destroy(err));
      if (digest) source.on('data', (chunk) => digest.update(chunk));
      source.pipe(sink);
    });
  let sentIgnore = false;
  (async () => {
    const ahead: Array<Promise<Loaded>> = [];
    let next = 0;
    const fill = () => {
      while (ahead.length < READ_AHEAD && next < entries.length) ahead.push(load(entries[next++]!));
    };
    fill();
    while (ahead.length > 0) {
      const item = await ahead.shift()!;
      fill();
      const { rel, stat } = item;
      const base = {
        name: rel,
        mode: stat.mode & 0o7777,
        mtime: stat.mtime,
        uid: 0,
        gid: 0,
        uname: '',
        gname: '',
      };
      if (extra && rel === '.dockerignore' && item.body) {
        sentIgnore = true;
        item.body = Buffer.concat([item.body, Buffer.from(`\n${extra.name}\n`)]);
      }
      // one record per entry, then a file's bytes: the size in the record keeps contents from running together
      const mode = base.mode.toString(8);
      if (stat.isDirectory()) digest?.update(`d\0${rel}\0${mode}\n`);
      else if (item.linkname !== undefined)
        digest?.update(`l\0${rel}\0${mode}\0${Buffer.byteLength(item.linkname)}\0${item.linkname}\n`);
      else if (item.body) {
        digest?.update(`f\0${rel}\0${mode}\0${item.body.length}\n`);
        digest?.update(item.body);
      } else if (stat.isFile()) digest?.update(`f\0${rel}\0${mode}\0${stat.size}\n`);
      if (stat.isDirectory()) await write({ ...base, type: 'directory' });
      else if (item.linkname !== undefined)
        await write({ ...base, type: 'symlink', linkname: item.linkname });
      else if (item.body) await write({ ...base, type: 'file', size: item.body.length }, item.body);
      else if (stat.isFile()) await streamFile({ ...base, type: 'file', size: stat.size }, join(root, rel));
      // fifos, devices: not part of a build context
    }
    if (extra) {
      await write({ name: extra.name, mode: 0o644, mtime: new Date(0), uid: 0, gid: 0 }, extra.content);
      // As the docker CLI does with a Dockerfile from stdin: the ignore file names the generated Dockerfile,
      // so the engine drops it from the context after reading it and `COPY . /x` never copies it.
      if (!sentIgnore)
        await write(
          { name: '.dockerignore', mode: 0o644, mtime: new Date(0), uid: 0, gid: 0 },
          Buffer.from(`.dockerignore\n${extra.name}\n`),
        );
    }
    digest?.end();
    pack.finalize();
  })().catch((err: Error) => pack.destroy(err));
  return pack as unknown as Readable;
}
