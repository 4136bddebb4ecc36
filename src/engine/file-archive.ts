// Secrets and configs from `environment:` or `content:` reach a container the way Compose sends them: one tar,
// extracted at `/` through the engine's archive API after create and before start. Each entry carries its
// mode, uid and gid in the header; the engine applies them when it extracts (without `copyUIDGID`, which would
// hand every file to the container's user instead), and creates missing parent directories (root, 0755).
// Pure: which files, what content and which owner in, a tar out.
import type { InjectedFile } from '../model/stack.js';

export async function fileArchive(files: InjectedFile[], mtime: Date = new Date()): Promise<Buffer> {
  // Loaded here, not with the engine client: tar-stream and its streams are 135 KB of the bundle that every
  // verb talking to the engine would compile, and only secrets, configs and the lock's beat need them.
  const { default: tarStream } = await import('tar-stream');
  const pack = tarStream.pack();
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    pack.on('data', (c: Buffer) => chunks.push(c));
    pack.on('end', () => resolve(Buffer.concat(chunks)));
    pack.on('error', reject);
  });
  for (const f of files) {
    const content = Buffer.from(f.content, 'utf8');
    pack.entry(
      {
        // relative to the extraction point `/`
        name: f.target.replace(/^\/+/, ''),
        type: 'file',
        size: content.length,
        mode: f.mode,
        uid: f.uid,
        gid: f.gid,
        mtime,
      },
      content,
    );
  }
  pack.finalize();
  return done;
}
