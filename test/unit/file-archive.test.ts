// The tar that carries secrets and configs into a container: names relative to `/`, content, mode and owner
// exactly as the stack file says.
import tarStream from 'tar-stream';
import { expect, test } from 'vitest';
import type { InjectedFile } from '../../src/model/stack.js';
import { fileArchive } from '../../src/engine/file-archive.js';

interface Entry {
  name: string;
  type?: string | null;
  mode?: number;
  uid?: number;
  gid?: number;
  mtime?: Date;
  body: string;
}

function entries(tar: Buffer): Promise<Entry[]> {
  const out: Entry[] = [];
  const ex = tarStream.extract();
  return new Promise((resolve, reject) => {
    ex.on('entry', (h, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        out.push({
          name: h.name,
          type: h.type,
          mode: h.mode,
          uid: h.uid,
          gid: h.gid,
          mtime: h.mtime,
          body: Buffer.concat(chunks).toString('utf8'),
        });
        next();
      });
    });
    ex.on('finish', () => resolve(out));
    ex.on('error', reject);
    ex.end(tar);
  });
}

const file = (over: Partial<InjectedFile>): InjectedFile => ({
  kind: 'secret',
  name: 's',
  target: '/run/secrets/s',
  content: '',
  mode: 0o444,
  uid: 0,
  gid: 0,
  ...over,
});

test('one regular file per secret or config, with its mode, owner and content', async () => {
  const when = new Date('2024-01-02T03:04:05Z');
  const tar = await fileArchive(
    [
      file({ target: '/run/secrets/token', content: 's3cret', mode: 0o440, uid: 1000, gid: 1001 }),
      file({ kind: 'config', name: 'c', target: '/etc/app/app.ini', content: '[app]\nport = 8080\n' }),
      file({ target: '/run/secrets/ünïcødé', content: 'päss ✓' }),
    ],
    when,
  );
  expect(await entries(tar)).toEqual([
    {
      name: 'run/secrets/token',
      type: 'file',
      mode: 0o440,
      uid: 1000,
      gid: 1001,
      mtime: when,
      body: 's3cret',
    },
    {
      name: 'etc/app/app.ini',
      type: 'file',
      mode: 0o444,
      uid: 0,
      gid: 0,
      mtime: when,
      body: '[app]\nport = 8080\n',
    },
    { name: 'run/secrets/ünïcødé', type: 'file', mode: 0o444, uid: 0, gid: 0, mtime: when, body: 'päss ✓' },
  ]);
});

test('an empty value is an empty file, not a missing one', async () => {
  const [e] = await entries(await fileArchive([file({ content: '' })]));
  expect(e).toMatchObject({ name: 'run/secrets/s', type: 'file', body: '' });
});

test('a long target path survives (ustar prefix)', async () => {
  const deep = `/${'d'.repeat(90)}/${'e'.repeat(90)}/value.txt`;
  const [e] = await entries(await fileArchive([file({ target: deep, content: 'x' })]));
  expect(e!.name).toBe(deep.slice(1));
});
