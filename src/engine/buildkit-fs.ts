// The sending side of BuildKit's file sync (tonistiigi/fsutil send.go, the `DiffCopy` protocol): the engine asks
// for a directory of the session by name (`context`, `dockerfile`) with include/exclude patterns, berth streams
// one STAT packet per path in walk order (by name, parents before children, as Go's filepath.Walk) and an
// empty STAT to end the list; the engine asks for the files it does not have by index (REQ), berth answers
// with DATA chunks and an empty DATA per file, and a FIN from the engine is answered with a FIN.
//
// The engine's patterns are Docker's `.dockerignore` rules (the Dockerfile frontend reads `.dockerignore` and
// sends it back as exclude patterns); berth adds its own for the context (`<Dockerfile>.dockerignore`, which
// BuildKit 0.8's frontend does not know), so the context is what the classic builder would have received.
import { createReadStream, promises as fsp } from 'node:fs';
import { join } from 'node:path';
import dockerignore from '@balena/dockerignore';
import { type ContextFilter, contextFilter } from './build-context.js';
import { type Packet, PacketType, type Stat } from './buildkit-proto.js';

// Go's os.FileMode type bits: what fsutil puts in Stat.mode above the permission bits.
const GO_DIR = 0x80000000;
const GO_SYMLINK = 0x08000000;
const GO_SETUID = 1 << 23;
const GO_SETGID = 1 << 22;
const GO_STICKY = 1 << 20;

/** Go's os.FileMode of a unix mode (directories, links and regular files: nothing else goes into a context). */
export function goFileMode(unixMode: number): number {
  const type = unixMode & 0o170000;
  let m = unixMode & 0o777;
  if (unixMode & 0o4000) m |= GO_SETUID;
  if (unixMode & 0o2000) m |= GO_SETGID;
  if (unixMode & 0o1000) m |= GO_STICKY;
  if (type === 0o040000) m = (m | GO_DIR) >>> 0;
  else if (type === 0o120000) m |= GO_SYMLINK;
  return m >>> 0;
}

export interface WalkOptions {
  /** Only paths matching one of these (or under a match) are sent; empty: everything. */
  includes?: string[];
  /** `.dockerignore` patterns, `!` exceptions allowed. */
  excludes?: string[];
  /** Paths sent whatever `excludes` says (berth keeps `.dockerignore` itself, as Docker's CLI does). */
  keep?: string[];
  /** Symlinks whose targets are sent too (the Dockerfile, when it is a link). */
  followPaths?: string[];
}

export interface WalkEntry {
  stat: Stat;
  /** Absolute path on the host, for the data of regular files. */
  abs: string;
}

/** Glob of one path segment (`*`, `?`, `[...]`) as a regular expression, as Go's filepath.Match reads it. */
function segmentRegex(seg: string): RegExp {
  let re = '';
  for (let i = 0; i < seg.length; i++) {
    const c = seg[i]!;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = seg.indexOf(']', i + 1);
      if (end < 0) re += '\\[';
      else {
        re += `[${seg
          .slice(i + 1, end)
          .replace(/^!/, '^')
          .replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else if (c === '\\' && i + 1 < seg.length) re += `\\${seg[++i]}`;
    else re += c.replace(/[.+^${}()|\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** Could something under directory `dir` match `pattern`? (fsutil's partial match of include patterns.) */
function couldContain(pattern: string, dir: string): boolean {
  const p = pattern.split('/').filter((s) => s !== '' && s !== '.');
  const d = dir.split('/');
  for (let i = 0; i < d.length; i++) {
    const seg = p[i];
    if (seg === undefined) return false;
    if (seg === '**') return true;
    if (!segmentRegex(seg).test(d[i]!)) return false;
  }
  return true;
}

interface IncludeFilter {
  matches(rel: string): boolean;
  descend(relDir: string): boolean;
}

function includeFilter(patterns: string[]): IncludeFilter {
  const factory = dockerignore as unknown as typeof dockerignore.default;
  // "ignores" is true for a path that matches or lies under a match: what an include pattern selects
  const matcher = factory({ ignorecase: false }).add(patterns);
  return {
    matches: (rel) => matcher.ignores(rel),
    descend: (relDir) => patterns.some((p) => couldContain(p, relDir)),
  };
}

/**
 * The paths of `root` the engine asked for, in fsutil's walk order, with their stats (uid and gid 0, as
 * Docker's CLI sends a context). A directory that is not selected itself but holds selected paths is sent
 * just before its first one, so the receiver always has a path's parent. Sockets, fifos and devices are left out.
 */
export async function walkDir(root: string, opts: WalkOptions = {}): Promise<WalkEntry[]> {
  const includes = [...(opts.includes ?? [])];
  for (const f of opts.followPaths ?? []) {
    includes.push(f);
    try {
      const abs = join(root, f);
      if ((await fsp.lstat(abs)).isSymbolicLink()) {
        const target = await fsp.readlink(abs);
        if (!target.startsWith('/')) includes.push(join(f, '..', target));
      }
    } catch {
      // not there: nothing to follow
    }
  }
  const inc = includes.length ? includeFilter(includes) : undefined;
  const exc: ContextFilter | undefined = opts.excludes?.length
    ? contextFilter(opts.excludes, opts.keep ?? [])
    : undefined;
  const out: WalkEntry[] = [];
  // directories entered but not sent yet: sent when the first path below them is
  const pending: WalkEntry[] = [];

  const statOf = async (rel: string): Promise<WalkEntry> => {
    const abs = join(root, rel);
    const st = await fsp.lstat(abs, { bigint: true });
    const mode = Number(st.mode);
    const stat: Stat = {
      path: rel,
      mode: goFileMode(mode),
      uid: 0,
      gid: 0,
      size: 0n,
      modTime: st.mtimeNs,
    };
    if (st.isSymbolicLink()) stat.linkname = await fsp.readlink(abs);
    else if (st.isFile()) stat.size = st.size;
    return { stat, abs };
  };
  const emit = (e: WalkEntry) => {
    out.push(...pending.splice(0));
    out.push(e);
  };

  const walk = async (relDir: string, selected: boolean): Promise<void> => {
    const entries = await fsp.readdir(relDir === '' ? root : join(root, relDir), { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const rel = relDir === '' ? e.name : `${relDir}/${e.name}`;
      const isDir = e.isDirectory();
      if (!isDir && !e.isFile() && !e.isSymbolicLink()) continue;
      const included = selected || !inc || inc.matches(rel);
      if (!included && !(isDir && inc?.descend(rel))) continue;
      if (exc?.excludes(rel)) {
        if (isDir && exc.mustDescend(rel)) {
          pending.push(await statOf(rel));
          await walk(rel, included);
          if (pending.length && pending[pending.length - 1]!.stat.path === rel) pending.pop();
        }
        continue;
      }
      const entry = await statOf(rel);
      if (!included) {
        // a directory on the way to an include pattern: sent only if something below it is
        pending.push(entry);
        await walk(rel, false);
        if (pending.length && pending[pending.length - 1]!.stat.path === rel) pending.pop();
        continue;
      }
      emit(entry);
      if (isDir) await walk(rel, true);
    }
  };
  await walk('', false);
  return out;
}

/** A bidirectional stream of fsutil packets (one gRPC DiffCopy call). */
export interface PacketStream {
  /** Resolves when the packet is written (or buffered without exceeding the stream's high-water mark). */
  send(p: Packet): Promise<void>;
  /** The engine's packets, until it ends the call. */
  receive(): AsyncIterable<Packet>;
}

const CHUNK = 32 * 1024;

/** Serve one DiffCopy call: the listed paths, then the files the engine asks for, until its FIN. */
export async function sendDiffCopy(stream: PacketStream, entries: WalkEntry[]): Promise<void> {
  const files = new Map<number, string>();
  const walking = (async () => {
    for (let i = 0; i < entries.length; i++) {
      const { stat, abs } = entries[i]!;
      // fsutil's fileCanRequestData: regular files only
      if ((stat.mode & (GO_DIR | GO_SYMLINK)) === 0) files.set(i, abs);
      await stream.send({ type: PacketType.STAT, stat });
    }
    await stream.send({ type: PacketType.STAT });
  })();
  walking.catch(() => {}); // awaited below; a failure is reported there
  // file data goes out one file at a time in request order; requests are answered while the list is still
  // going out, as fsutil does
  let sending = Promise.resolve();
  const sendFile = async (id: number, abs: string) => {
    for await (const chunk of createReadStream(abs, { highWaterMark: CHUNK }) as AsyncIterable<Buffer>)
      await stream.send({ type: PacketType.DATA, id, data: chunk });
    await stream.send({ type: PacketType.DATA, id });
  };
  for await (const p of stream.receive()) {
    if (p.type === PacketType.ERR) throw new Error(`the engine stopped the file transfer: ${p.data ?? ''}`);
    if (p.type === PacketType.REQ) {
      const id = p.id ?? 0;
      const abs = files.get(id);
      if (abs === undefined) throw new Error(`the engine asked for file ${id}, which was not offered`);
      files.delete(id);
      sending = sending.then(() => sendFile(id, abs));
      sending.catch(() => {}); // awaited at FIN
    } else if (p.type === PacketType.FIN) {
      await walking;
      await sending;
      await stream.send({ type: PacketType.FIN });
      return;
    }
  }
  await walking;
  await sending;
}
