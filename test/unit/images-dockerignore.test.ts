import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { extract, type Headers } from 'tar-stream';
import { afterEach, describe, expect, test } from 'vitest';
import {
  type ContextFilter,
  contextFilter,
  listContext,
  packFolder,
  parseDockerignore,
  prepareContext,
} from '../../src/engine/build-context.js';
import type { BuildSpec } from '../../src/model/stack.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A context directory holding `files` (path → content); returns its absolute path. */
function makeContext(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'berth-ctx-'));
  dirs.push(root);
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, rel)), { recursive: true });
    writeFileSync(join(root, rel), content);
  }
  return root;
}

const files = (list: string[]) => list.filter((p) => !p.endsWith('/'));

async function sent(root: string, ignoreText?: string, keep: string[] = []): Promise<string[]> {
  const patterns = ignoreText === undefined ? [] : parseDockerignore(ignoreText);
  return listContext(root, contextFilter(patterns, keep));
}

function build(context: string, extra: Partial<BuildSpec> = {}): BuildSpec {
  return { context, dockerfile: 'Dockerfile', args: {}, labels: {}, ...extra };
}

/** Names and contents of a tar stream's file entries. */
async function untar(tar: NodeJS.ReadableStream): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const ex = extract();
  await new Promise<void>((resolve, reject) => {
    ex.on('entry', (header, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        if (header.type === 'file') out.set(header.name, Buffer.concat(chunks).toString());
        next();
      });
      stream.resume();
    });
    ex.on('finish', resolve);
    ex.on('error', reject);
    tar.pipe(ex);
  });
  return out;
}

describe('parseDockerignore', () => {
  test('drops comments and blank lines, trims, cleans paths and leading slashes, keeps negations', () => {
    const text = '# a comment\n\n  node_modules  \n/abs\n./a//b/../c/\n!  keep.log\n*.log\r\n!/root.txt\n';
    expect(parseDockerignore(text)).toEqual([
      'node_modules',
      'abs',
      'a/c',
      '!keep.log',
      '*.log',
      '!root.txt',
    ]);
  });
});

describe('which files the context holds', () => {
  test('without a .dockerignore everything is sent, parents before children', async () => {
    const root = makeContext({ Dockerfile: 'FROM x', 'a/b/c.txt': '1', 'z.txt': '2' });
    expect(await sent(root)).toEqual(['Dockerfile', 'a', 'a/b', 'a/b/c.txt', 'z.txt']);
  });

  test('plain patterns exclude files and whole directories, at the root only unless written with **', async () => {
    const root = makeContext({
      Dockerfile: '',
      'app.log': '',
      'sub/app.log': '',
      'node_modules/x/index.js': '',
      'tmp/a': '',
      'deep/er/tmp/b': '',
      'src/main.ts': '',
    });
    const list = await sent(root, 'node_modules\n*.log\n**/tmp\n');
    expect(files(list)).toEqual([
      'Dockerfile',
      'deep',
      'deep/er',
      'src',
      'src/main.ts',
      'sub',
      'sub/app.log',
    ]);
  });

  test('a negation re-includes a file that an earlier pattern excluded; a later pattern wins again', async () => {
    const root = makeContext({ Dockerfile: '', 'a.log': '', 'keep.log': '', 'again.log': '' });
    const list = await sent(root, '*.log\n!keep.log\n!again.log\nagain.log\n');
    expect(list).toEqual(['Dockerfile', 'keep.log']);
  });

  test('a negation inside an excluded directory re-includes just that file (the directory is walked)', async () => {
    const root = makeContext({
      Dockerfile: '',
      'secret/key.pem': '',
      'secret/ok.txt': '',
      'secret/nested/ok.txt': '',
    });
    const list = await sent(root, 'secret\n!secret/ok.txt\n');
    expect(list).toEqual(['Dockerfile', 'secret/ok.txt']);
  });

  test('nested directories: ** in the middle matches any depth, including none', async () => {
    const root = makeContext({
      Dockerfile: '',
      'docs/a.md': '',
      'docs/x/y/z.md': '',
      'docs/x/keep.txt': '',
      'other/a.md': '',
    });
    const list = await sent(root, 'docs/**/*.md\n');
    expect(files(list)).toEqual([
      'Dockerfile',
      'docs',
      'docs/x',
      'docs/x/keep.txt',
      'docs/x/y',
      'other',
      'other/a.md',
    ]);
  });

  test('a pattern naming a directory excludes everything under it, at any depth', async () => {
    const root = makeContext({ Dockerfile: '', 'build/out/a.o': '', 'build/b.o': '', 'builder.txt': '' });
    expect(await sent(root, 'build\n')).toEqual(['Dockerfile', 'builder.txt']);
  });

  test('an excluded directory without exceptions is never walked (node_modules costs nothing)', async () => {
    const root = makeContext({ Dockerfile: '', 'node_modules/a/b/c.js': '', 'src/x.ts': '' });
    const asked: string[] = [];
    const inner = contextFilter(parseDockerignore('node_modules\n'));
    const spy: ContextFilter = {
      excludes: (rel) => {
        asked.push(rel);
        return inner.excludes(rel);
      },
      mustDescend: inner.mustDescend,
    };
    await listContext(root, spy);
    expect(asked).toContain('node_modules');
    expect(asked.filter((p) => p.startsWith('node_modules/'))).toEqual([]);
  });

  test('character classes and ? match one character', async () => {
    const root = makeContext({ Dockerfile: '', 'a1.txt': '', 'a2.txt': '', 'ab.txt': '', 'a10.txt': '' });
    expect(await sent(root, 'a[0-9].txt\na??.txt\n')).toEqual(['Dockerfile', 'ab.txt']);
  });

  test('the Dockerfile and the .dockerignore are sent even when the patterns exclude them', async () => {
    const root = makeContext({ 'docker/Dockerfile': '', 'docker/other': '', '.dockerignore': '', x: '' });
    const list = await sent(root, '*\n', ['.dockerignore', 'docker/Dockerfile']);
    expect(list).toEqual(['.dockerignore', 'docker/Dockerfile']);
  });
});

describe('the tar sent to the engine', () => {
  test('honours .dockerignore and carries file contents', async () => {
    const root = makeContext({
      Dockerfile: 'FROM berth/busybox:latest\n',
      '.dockerignore': 'secret\n*.log\n!important.log\n',
      'secret/token': 'nope',
      'app/run.sh': 'echo hi',
      'debug.log': 'x',
      'important.log': 'keep me',
    });
    const ctx = await prepareContext(build(root));
    const tar = await untar(ctx.tar);
    expect([...tar.keys()].sort()).toEqual(['.dockerignore', 'Dockerfile', 'app/run.sh', 'important.log']);
    expect(tar.get('important.log')).toBe('keep me');
    expect(ctx.dockerfile).toBe('Dockerfile');
  });

  test('big files are streamed whole, symlinks stay links, modes are kept and the owner is root', async () => {
    const big = 'x'.repeat(3 * 1024 * 1024 + 7);
    const root = makeContext({ Dockerfile: 'FROM x\n', 'big.bin': big, 'run.sh': 'echo' });
    chmodSync(join(root, 'run.sh'), 0o755);
    symlinkSync('run.sh', join(root, 'link'));
    const ctx = await prepareContext(build(root));
    const headers = new Map<string, Headers>();
    const ex = extract();
    const files = new Map<string, number>();
    await new Promise<void>((resolve, reject) => {
      ex.on('entry', (header, stream, next) => {
        headers.set(header.name, header);
        let n = 0;
        stream.on('data', (c: Buffer) => {
          n += c.length;
        });
        stream.on('end', () => {
          files.set(header.name, n);
          next();
        });
      });
      ex.on('finish', resolve);
      ex.on('error', reject);
      ctx.tar.pipe(ex);
    });
    expect(files.get('big.bin')).toBe(big.length);
    expect(headers.get('run.sh')?.mode).toBe(0o755);
    expect(headers.get('run.sh')?.uid).toBe(0);
    expect(headers.get('link')).toMatchObject({ type: 'symlink', linkname: 'run.sh' });
  });

  test('<Dockerfile>.dockerignore takes precedence over .dockerignore', async () => {
    const root = makeContext({
      'build/web.Dockerfile': 'FROM x\n',
      'build/web.Dockerfile.dockerignore': 'b.txt\n',
      '.dockerignore': 'a.txt\n',
      'a.txt': '',
      'b.txt': '',
    });
    const ctx = await prepareContext(build(root, { dockerfile: 'build/web.Dockerfile' }));
    const names = [...(await untar(ctx.tar)).keys()];
    expect(names).toContain('a.txt');
    expect(names).not.toContain('b.txt');
    expect(ctx.dockerfile).toBe('build/web.Dockerfile');
  });

  test('dockerfile_inline travels in the tar under a generated name that the query points at', async () => {
    const root = makeContext({ 'x.txt': 'x' });
    const ctx = await prepareContext(
      build(root, { dockerfile_inline: 'FROM berth/busybox:latest\nCOPY x.txt /\n' }),
    );
    const tar = await untar(ctx.tar);
    expect(ctx.dockerfile).toMatch(/^\.berth-dockerfile-[0-9a-f]{12}$/);
    expect(tar.get(ctx.dockerfile)).toBe('FROM berth/busybox:latest\nCOPY x.txt /\n');
    expect(tar.get('x.txt')).toBe('x');
  });

  test('a Dockerfile outside the context is read and sent inside the tar', async () => {
    const outer = makeContext({ 'Dockerfile.dev': 'FROM outside\n', 'ctx/a.txt': 'a' });
    const ctx = await prepareContext(build(join(outer, 'ctx'), { dockerfile: '../Dockerfile.dev' }));
    const tar = await untar(ctx.tar);
    expect(tar.get(ctx.dockerfile)).toBe('FROM outside\n');
    expect(tar.get('a.txt')).toBe('a');
  });

  test('a generated Dockerfile is named in the ignore file, so `COPY . /x` never copies it (as the docker CLI)', async () => {
    const bare = await untar(
      (await prepareContext(build(makeContext({ 'x.txt': 'x' }), { dockerfile_inline: 'FROM a\n' }))).tar,
    );
    const name = [...bare.keys()].find((k) => k.startsWith('.berth-dockerfile-'))!;
    expect(bare.get('.dockerignore')).toBe(`.dockerignore\n${name}\n`);
    // the user's ignore file keeps its rules and gains the name
    const root = makeContext({ Dockerfile: 'FROM base\n', '.dockerignore': '*.log', 'x.txt': 'x' });
    const ctx = await prepareContext(build(root), 'FROM proj-base\n');
    const tar = await untar(ctx.tar);
    expect(tar.get(ctx.dockerfile)).toBe('FROM proj-base\n');
    expect(tar.get('.dockerignore')).toBe(`*.log\n${ctx.dockerfile}\n`);
    // the user's own Dockerfile is still sent, as Docker sends it
    expect(tar.get('Dockerfile')).toBe('FROM base\n');
  });

  test('packFolder: a named context folder without what its .dockerignore excludes', async () => {
    const root = makeContext({
      'a.txt': 'a',
      'skip.log': 'no',
      'sub/b.txt': 'b',
      '.dockerignore': '*.log\n',
    });
    const { tar, entries } = await packFolder(root);
    expect(entries).toEqual(['.dockerignore', 'a.txt', 'sub', 'sub/b.txt']);
    expect([...(await untar(tar)).keys()].sort()).toEqual(['.dockerignore', 'a.txt', 'sub/b.txt']);
  });
});
