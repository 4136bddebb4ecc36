// The tar `watch` copies into a container: changed host files and folders under their container paths,
// extracted at `/` through the engine's archive API (as Compose's watch does). A folder goes with everything
// under it except what the caller skips (ignore rules). Modes, times and owners are as on the host, like
// Compose's archive; the engine creates missing parent folders. A path that no longer exists on the host is
// returned as gone, for the caller to delete in the container.
import { promises as fsp, type Stats } from 'node:fs';
import path from 'node:path';
import tarStream, { type Headers } from 'tar-stream';

export interface SyncEntry {
  /** Absolute host path. */
  host: string;
  /** Absolute container path. */
  container: string;
}

export interface SyncArchive {
  tar: Buffer;
  /** Paths written into the tar (files, folders, links). */
  entries: number;
  /** Container paths whose host path is gone. */
  gone: string[];
}

export async function syncArchive(
  list: SyncEntry[],
  skip: (hostPath: string) => boolean = () => false,
): Promise<SyncArchive> {
  const pack = tarStream.pack();
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    pack.on('data', (c: Buffer) => chunks.push(c));
    pack.on('end', () => resolve(Buffer.concat(chunks)));
    pack.on('error', reject);
  });
  const write = (header: Headers, body?: Buffer) =>
    new Promise<void>((res, rej) => {
      const cb = (err?: Error | null) => (err ? rej(err) : res());
      if (body) pack.entry(header, body, cb);
      else pack.entry(header, cb);
    });
  const gone: string[] = [];
  const seen = new Set<string>();
  let entries = 0;
  const add = async (host: string, container: string, stat: Stats): Promise<void> => {
    if (seen.has(container)) return;
    seen.add(container);
    const base = {
      name: container.replace(/^\/+/, ''),
      mode: stat.mode & 0o7777,
      mtime: stat.mtime,
      uid: stat.uid,
      gid: stat.gid,
    };
    if (stat.isSymbolicLink()) {
      await write({ ...base, type: 'symlink', linkname: await fsp.readlink(host) });
    } else if (stat.isFile()) {
      // read whole: a watched edit is a source file, and the engine call takes a buffer anyway
      const body = await fsp.readFile(host);
      await write({ ...base, type: 'file', size: body.length }, body);
    } else if (stat.isDirectory()) {
      await write({ ...base, type: 'directory' });
      entries++;
      const names = (await fsp.readdir(host)).sort();
      for (const n of names) {
        const h = path.join(host, n);
        if (skip(h)) continue;
        const st = await lstatOrUndefined(h);
        if (st) await add(h, path.posix.join(container, n), st);
      }
      return;
    } else return; // sockets, fifos, devices are not copied
    entries++;
  };
  for (const e of list) {
    const stat = await lstatOrUndefined(e.host);
    if (!stat) gone.push(e.container);
    else await add(e.host, e.container, stat);
  }
  pack.finalize();
  return { tar: await done, entries, gone };
}

async function lstatOrUndefined(p: string): Promise<Stats | undefined> {
  try {
    return await fsp.lstat(p);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR')
      return undefined;
    throw err;
  }
}
