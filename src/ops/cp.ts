// `cp`: copy files between a service's container and the host, both ways, as `docker compose cp` does. The
// engine speaks tar (its archive API); this module packs and unpacks, following `docker cp`'s naming rule: a
// destination that is an existing directory receives the source under its own name; otherwise the copy takes
// the destination's name.
import { createReadStream, promises as fs } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tarStream from 'tar-stream';
import { isEngineError } from '../engine/errors.js';
import { BerthError, badInput } from '../errors.js';
import type { OpContext } from './context.js';
import { oneContainer } from './inspect.js';
import type { Target } from './select.js';

/** `SERVICE:PATH` or a host path (`-` is stdin/stdout). */
export type CpEndpoint = { service: string; path: string } | { host: string };

/** Split an argument as Compose does: `SERVICE:PATH` when there is a colon before any slash. */
export function parseCpArg(arg: string): CpEndpoint {
  const colon = arg.indexOf(':');
  const slash = arg.indexOf('/');
  if (colon > 0 && (slash < 0 || colon < slash))
    return { service: arg.slice(0, colon), path: arg.slice(colon + 1) };
  return { host: arg };
}

export interface CpOptions {
  src: CpEndpoint;
  dest: CpEndpoint;
  /** Replica number; the first one when omitted. */
  index?: number;
  /** Host side `-`: the tar to send (stdin) or where to write the tar (stdout). */
  stdin?: Readable;
  stdout?: NodeJS.WritableStream;
}

export interface CpResult {
  container: string;
  /** Where it landed (a host path, or `container:path`). */
  landed: string;
}

export async function cp(ctx: OpContext, target: Target, o: CpOptions): Promise<CpResult> {
  if ('service' in o.src && 'service' in o.dest)
    throw badInput('copying between two containers is not supported', {
      hint: 'copy to the host first, then into the other container',
    });
  if (!('service' in o.src) && !('service' in o.dest))
    throw badInput('one of source and destination must be SERVICE:PATH');
  if ('service' in o.src) return fromContainer(ctx, target, o.src, (o.dest as { host: string }).host, o);
  return toContainer(
    ctx,
    target,
    (o.src as { host: string }).host,
    o.dest as { service: string; path: string },
    o,
  );
}

async function fromContainer(
  ctx: OpContext,
  target: Target,
  src: { service: string; path: string },
  dest: string,
  o: CpOptions,
): Promise<CpResult> {
  const c = await oneContainer(ctx, target, src.service, o.index);
  const got = await ctx.engine.getArchive(c.id, src.path);
  if (!got) throw new BerthError(`${src.service}:${src.path}: no such file or directory in ${c.name}`);
  if (dest === '-') {
    await pipeline(got.tar, o.stdout ?? process.stdout);
    return { container: c.name, landed: '-' };
  }
  const destStat = await fs.stat(dest).catch(() => undefined);
  // into an existing directory under the source's name; otherwise renamed to the destination
  const [root, rename] = destStat?.isDirectory()
    ? [dest, undefined]
    : [path.dirname(path.resolve(dest)), path.basename(dest)];
  if (!destStat && dest.endsWith('/'))
    throw badInput(`${dest}: no such directory`, { hint: 'create it first, or leave out the trailing /' });
  await extract(got.tar, root, got.stat.name, rename);
  return { container: c.name, landed: destStat?.isDirectory() ? path.join(dest, got.stat.name) : dest };
}

/** Unpack a tar under `root`, renaming its top entry `from` to `to` when asked; refuses to leave `root`. */
async function extract(tar: Readable, root: string, from: string, to: string | undefined): Promise<void> {
  const ex = tarStream.extract();
  const base = path.resolve(root);
  ex.on('entry', (h, stream, next) => {
    const fail = (err: unknown) => ex.destroy(err as Error);
    let name = h.name.replace(/^\.?\/+/, '');
    if (to !== undefined && (name === from || name.startsWith(`${from}/`)))
      name = to + name.slice(from.length);
    const out = path.resolve(base, name);
    if (out !== base && !out.startsWith(base + path.sep)) {
      stream.resume();
      return next();
    }
    const mode = (h.mode ?? 0o644) & 0o7777;
    const done = () => next();
    if (h.type === 'directory') {
      stream.resume();
      fs.mkdir(out, { recursive: true })
        .then(() => fs.chmod(out, mode))
        .then(done, fail);
    } else if (h.type === 'symlink') {
      stream.resume();
      fs.rm(out, { force: true })
        .then(() => fs.symlink(h.linkname ?? '', out))
        .then(done, fail);
    } else if (h.type === 'file') {
      fs.mkdir(path.dirname(out), { recursive: true })
        .then(async () => {
          const fh = await fs.open(out, 'w', mode);
          try {
            for await (const chunk of stream) await fh.write(chunk as Buffer);
          } finally {
            await fh.close();
          }
          await fs.chmod(out, mode);
        })
        .then(done, fail);
    } else {
      stream.resume();
      next();
    }
  });
  await pipeline(tar, ex);
}

async function toContainer(
  ctx: OpContext,
  target: Target,
  src: string,
  dest: { service: string; path: string },
  o: CpOptions,
): Promise<CpResult> {
  const c = await oneContainer(ctx, target, dest.service, o.index);
  const landed = (p: string) => ({ container: c.name, landed: `${dest.service}:${p}` });
  if (src === '-') {
    const chunks: Buffer[] = [];
    for await (const chunk of o.stdin ?? process.stdin) chunks.push(Buffer.from(chunk as Buffer));
    await put(ctx, c.id, dest.path, Buffer.concat(chunks), `${dest.service}:${dest.path}`);
    return landed(dest.path);
  }
  const srcStat = await fs.lstat(src).catch(() => undefined);
  if (!srcStat) throw badInput(`${src}: no such file or directory`);
  const there = await ctx.engine.getArchive(c.id, dest.path);
  there?.tar.destroy();
  const intoDir = there?.stat.isDir ?? false;
  if (!there && dest.path.endsWith('/'))
    throw new BerthError(`${dest.service}:${dest.path}: no such directory in ${c.name}`);
  const [dir, name] = intoDir
    ? [dest.path, path.basename(path.resolve(src))]
    : [path.posix.dirname(dest.path), path.posix.basename(dest.path)];
  await put(ctx, c.id, dir, await packPath(src, name), `${dest.service}:${dir}`);
  return landed(path.posix.join(dir, name));
}

async function put(ctx: OpContext, id: string, dir: string, tar: Buffer, shown: string): Promise<void> {
  try {
    await ctx.engine.copyToContainer(id, dir, tar);
  } catch (err) {
    if (isEngineError(err, 'not-found'))
      throw new BerthError(`${shown}: no such directory in the container`, { hint: 'create it first' });
    throw err;
  }
}

/** A host file or directory as a tar whose top entry is `name`, with the host's modes and owners. */
export async function packPath(src: string, name: string): Promise<Buffer> {
  const pack = tarStream.pack();
  const chunks: Buffer[] = [];
  const out = new Promise<Buffer>((resolve, reject) => {
    pack.on('data', (c: Buffer) => chunks.push(c));
    pack.on('end', () => resolve(Buffer.concat(chunks)));
    pack.on('error', reject);
  });
  const add = async (abs: string, rel: string): Promise<void> => {
    const st = await fs.lstat(abs);
    const common = { name: rel, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime: st.mtime };
    if (st.isDirectory()) {
      pack.entry({ ...common, type: 'directory' });
      for (const e of (await fs.readdir(abs)).sort()) await add(path.join(abs, e), `${rel}/${e}`);
    } else if (st.isSymbolicLink()) {
      pack.entry({ ...common, type: 'symlink', linkname: await fs.readlink(abs) });
    } else if (st.isFile()) {
      const data = await readAll(createReadStream(abs));
      await new Promise<void>((resolve, reject) =>
        pack.entry({ ...common, type: 'file', size: data.length }, data, (err) =>
          err ? reject(err) : resolve(),
        ),
      );
    }
  };
  await add(src, name);
  pack.finalize();
  return out;
}

async function readAll(s: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of s) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}
