// A folder named in `build.additional_contexts` becomes an image tagged by its content, as BuildKit keys a
// local context: a `touch` keeps the tag, an edit that keeps size and modification time (`touch -r` after
// changing one byte) gives a new one; what `.dockerignore` leaves out does not count. The hash is taken from
// the bytes as they are packed for the import, so the files are read once.
import { chmodSync, mkdirSync, mkdtempSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type Docker from 'dockerode';
import { describe, expect, test } from 'vitest';
import { packFolder } from '../../src/engine/build-context.js';
import { contextTag, prepareNamedContexts } from '../../src/engine/context-images.js';
import { Label } from '../../src/model/labels.js';
import { plainService, type Service } from '../../src/model/stack.js';
import { FakeEngine } from '../support/fake-engine.js';

const SETTLED = new Date('2026-01-02T03:04:05Z');

function folder(files: Record<string, string | Buffer>): string {
  const dir = mkdtempSync(join(tmpdir(), 'berth-ctx-'));
  for (const [rel, body] of Object.entries(files)) {
    mkdirSync(join(dir, rel, '..'), { recursive: true });
    writeFileSync(join(dir, rel), body);
    // whole seconds, so `editKeepingTime` can put the exact time back (Node's utimes has no nanoseconds)
    utimesSync(join(dir, rel), SETTLED, SETTLED);
  }
  return dir;
}

/** The digest of a folder, read as the engine would read the tar (to its end). */
async function digestOf(dir: string): Promise<string> {
  const { tar, digest } = await packFolder(dir);
  for await (const _ of tar as AsyncIterable<Buffer>);
  return digest;
}

/** Change a file's bytes and put its modification time back, as `touch -r` does. */
function editKeepingTime(file: string, body: string | Buffer) {
  const st = statSync(file);
  writeFileSync(file, body);
  utimesSync(file, st.atime, st.mtime);
  expect(statSync(file).mtimeMs).toBe(st.mtimeMs);
  expect(statSync(file).size).toBe(st.size);
}

const later = new Date(Date.now() + 3_600_000);

describe('packFolder digest', () => {
  test('a touch keeps it; a one-byte edit that keeps size and mtime changes it', async () => {
    const dir = folder({ 'a.txt': 'hello\n', 'sub/b.txt': 'world\n' });
    const first = await digestOf(dir);
    expect(first).toMatch(/^[0-9a-f]{64}$/);
    utimesSync(join(dir, 'a.txt'), later, later);
    utimesSync(join(dir, 'sub'), later, later);
    expect(await digestOf(dir)).toBe(first);
    editKeepingTime(join(dir, 'sub/b.txt'), 'wOrld\n');
    expect(await digestOf(dir)).not.toBe(first);
  });

  test('a file larger than the read-whole limit (streamed into the tar) is hashed by its bytes too', async () => {
    const big = Buffer.alloc(3 << 20, 7);
    const dir = folder({ 'big.bin': big });
    const first = await digestOf(dir);
    utimesSync(join(dir, 'big.bin'), later, later);
    expect(await digestOf(dir)).toBe(first);
    const edited = Buffer.from(big);
    edited[2 << 20] = 8;
    editKeepingTime(join(dir, 'big.bin'), edited);
    expect(await digestOf(dir)).not.toBe(first);
  });

  test('modes, names and link targets count; what .dockerignore leaves out does not', async () => {
    const dir = folder({ '.dockerignore': 'tmp/\n*.log\n', 'run.sh': 'echo hi\n', 'x.log': '1' });
    symlinkSync('run.sh', join(dir, 'link'));
    const first = await digestOf(dir);
    writeFileSync(join(dir, 'x.log'), 'many more lines');
    mkdirSync(join(dir, 'tmp'));
    writeFileSync(join(dir, 'tmp/cache'), 'anything');
    expect(await digestOf(dir)).toBe(first);

    chmodSync(join(dir, 'run.sh'), 0o755);
    const exec = await digestOf(dir);
    expect(exec).not.toBe(first);

    const other = folder({ '.dockerignore': 'tmp/\n*.log\n', 'run.sh': 'echo hi\n' });
    chmodSync(join(other, 'run.sh'), 0o755);
    symlinkSync('elsewhere', join(other, 'link'));
    const relinked = await digestOf(other);
    expect(relinked).not.toBe(exec);

    // the same bytes under another name are another folder
    const renamed = folder({ '.dockerignore': 'tmp/\n*.log\n', 'run2.sh': 'echo hi\n' });
    const plain = folder({ '.dockerignore': 'tmp/\n*.log\n', 'run.sh': 'echo hi\n' });
    expect(await digestOf(renamed)).not.toBe(await digestOf(plain));
  });

  test('equal folders made at different times have the same digest', async () => {
    const a = folder({ 'x/y.txt': 'same', 'z.txt': 'also' });
    const b = folder({ 'x/y.txt': 'same', 'z.txt': 'also' });
    utimesSync(join(b, 'z.txt'), later, later);
    expect(await digestOf(a)).toBe(await digestOf(b));
  });
});

describe('the image of a folder context', () => {
  /** A Docker API whose import reads the tar to its end and makes the image on the fake engine. */
  function importer(engine: FakeEngine) {
    const imports: string[] = [];
    const docker = async () =>
      ({
        importImage: async (
          tar: AsyncIterable<Buffer>,
          o: { repo: string; tag?: string; changes: string[] },
        ) => {
          // read to the end, as the engine does
          for await (const _ of tar);
          const labels = Object.fromEntries(
            o.changes.map((c) => {
              const [k, v] = c.slice('LABEL '.length).split('=');
              return [k!, JSON.parse(v!) as string];
            }),
          );
          // as dockerd: `repo` may carry the tag itself; no tag at all is `latest`
          const tagged = /:[^/]+$/.test(o.repo);
          const ref = o.tag ? `${o.repo}:${o.tag}` : tagged ? o.repo : `${o.repo}:latest`;
          const id = engine.addImage(ref, { labels });
          imports.push(ref);
          return Readable.from([Buffer.from(`{"status":"${id}"}\n`)]);
        },
      }) as unknown as Docker;
    return { docker, imports };
  }

  const svc = (dir: string): Service => ({
    ...plainService('app', 'app:dev'),
    build: {
      context: dir,
      dockerfile: 'Dockerfile',
      args: {},
      labels: {},
      dockerfile_inline: 'FROM scratch\nCOPY --from=docs / /docs\n',
      additional_contexts: { docs: dir },
    },
  });

  const tags = (engine: FakeEngine) =>
    engine.calls.filter((c) => c.method === 'tagImage').map((c) => (c.args as string[])[1]);

  test('tagged by content: a touch keeps the tag, an edit keeping size and mtime does not', async () => {
    const dir = folder({ 'index.md': '# docs\n' });
    const engine = new FakeEngine();
    const { docker } = importer(engine);
    const p = await prepareNamedContexts(docker, engine, svc(dir), { stack: 'shop' });
    const tag = contextTag('shop', 'app', 'docs', await digestOf(dir));
    expect(p?.made).toEqual([tag]);
    expect(p?.dockerfile).toBe(`FROM scratch\nCOPY --from=${tag} / /docs\n`);
    // the provisional name is gone: the image is only under its content tag, labelled as berth's
    const img = await engine.inspectImage(tag);
    expect(img?.labels[Label.namedContext]).toBe('docs');
    expect(img?.tags).toEqual([tag]);
    await p!.cleanup();
    expect(await engine.inspectImage(tag)).toBeUndefined();

    utimesSync(join(dir, 'index.md'), later, later);
    const touched = await prepareNamedContexts(docker, engine, svc(dir), { stack: 'shop' });
    expect(touched?.made).toEqual([tag]);
    await touched!.cleanup();

    editKeepingTime(join(dir, 'index.md'), '# DOCS\n');
    const edited = await prepareNamedContexts(docker, engine, svc(dir), { stack: 'shop' });
    expect(edited?.made).toHaveLength(1);
    expect(edited?.made[0]).not.toBe(tag);
    expect(edited?.made[0]).toBe(contextTag('shop', 'app', 'docs', await digestOf(dir)));
    await edited!.cleanup();
    expect(await engine.listImages({ labels: [] })).toEqual([]);
  });

  test("berth's image already at the content tag is used, and the new import dropped", async () => {
    const dir = folder({ 'index.md': '# docs\n' });
    const engine = new FakeEngine();
    const tag = contextTag('shop', 'app', 'docs', await digestOf(dir));
    const earlier = engine.addImage(tag, { labels: { [Label.namedContext]: 'docs' } });
    const { docker, imports } = importer(engine);
    const p = await prepareNamedContexts(docker, engine, svc(dir), { stack: 'shop' });
    expect(imports).toHaveLength(1);
    expect(p?.made).toEqual([tag]);
    expect((await engine.inspectImage(tag))?.id).toBe(earlier);
    expect(tags(engine)).toEqual([]);
    // only the earlier image is left, and the clean-up removes it
    expect((await engine.listImages({ labels: [] })).map((i) => i.id)).toEqual([earlier]);
    await p!.cleanup();
    expect(await engine.listImages({ labels: [] })).toEqual([]);
  });

  test('an image at the content tag that is not berth’s is never replaced; nothing is left behind', async () => {
    const dir = folder({ 'index.md': '# docs\n' });
    const engine = new FakeEngine();
    const tag = contextTag('shop', 'app', 'docs', await digestOf(dir));
    const theirs = engine.addImage(tag);
    const { docker } = importer(engine);
    const err = (await prepareNamedContexts(docker, engine, svc(dir), { stack: 'shop' }).catch(
      (e: unknown) => e,
    )) as { exitCode: number; message: string };
    expect(err.exitCode).toBe(2);
    expect(err.message).toContain(`the image ${tag} exists and is not berth's`);
    expect((await engine.listImages({ labels: [] })).map((i) => i.id)).toEqual([theirs]);
  });
});
