// The Dockerfile rewrite that serves `build.additional_contexts` on builders without named contexts: which
// references BuildKit would resolve to a context (stages shadow names, a stage named like a context is
// replaced by it, `scratch` never is), and that line numbers never move.
import { describe, expect, test } from 'vitest';
import { contextTag, prepareNamedContexts } from '../../src/engine/context-images.js';
import { type Service, plainService } from '../../src/model/stack.js';
import { FakeEngine } from '../support/fake-engine.js';
import { classifyContext, familiarName, rewriteDockerfile } from '../../src/engine/named-contexts.js';

const images = {
  base: 'proj-base',
  files: 'berth-context/proj-app-files:0123456789ab',
  alpine: 'berth/busybox:latest',
};
const rw = (text: string, args: Record<string, string> = {}) => rewriteDockerfile(text, images, args);
const lines = (text: string) => text.split('\n').length;

describe('rewriteDockerfile', () => {
  test('FROM, COPY --from and RUN --mount from= name the context images; line count is kept', () => {
    const df = [
      'FROM base',
      'COPY --from=files /a.txt /a.txt',
      'RUN --mount=type=bind,from=files,source=/,target=/mnt cat /mnt/a.txt',
      'COPY --chown=1:1 --from=alpine /bin/sh /sh',
      '',
    ].join('\n');
    const r = rw(df);
    expect(r.text).toBe(
      [
        'FROM proj-base',
        'COPY --from=berth-context/proj-app-files:0123456789ab /a.txt /a.txt',
        'RUN --mount=type=bind,from=berth-context/proj-app-files:0123456789ab,source=/,target=/mnt cat /mnt/a.txt',
        'COPY --chown=1:1 --from=berth/busybox:latest /bin/sh /sh',
        '',
      ].join('\n'),
    );
    expect(r.used).toEqual(['alpine', 'base', 'files']);
    expect(lines(r.text)).toBe(lines(df));
  });

  test('instructions in any case, --platform flags and AS keep their place', () => {
    const r = rw('from --platform=$BUILDPLATFORM base as build\nrun echo hi\ncopy --FROM=files / /x\n');
    expect(r.text).toBe(
      'from --platform=$BUILDPLATFORM proj-base as build\nrun echo hi\ncopy --FROM=berth-context/proj-app-files:0123456789ab / /x\n',
    );
  });

  test('references to a stage stay references to it (the stage named like a context is the context)', () => {
    const df = [
      'FROM busybox AS files',
      'RUN touch /x',
      'FROM files AS mid', // the stage, not rewritten
      'COPY --from=files /x /x', // the stage
      'COPY --from=Later /y /y', // a stage defined below (stage names ignore case)
      'FROM base AS later',
      'COPY --from=0 /z /z', // an index, never a context
      '',
    ].join('\n');
    const r = rw(df);
    expect(r.text).toBe(
      df
        .replace('FROM busybox AS files', `FROM ${images.files} AS files`)
        .replace('RUN touch', '#RUN touch')
        .replace('FROM base AS later', 'FROM proj-base AS later'),
    );
    expect(r.used).toEqual(['base', 'files']);
    // a stage whose name is no context shadows nothing and is left alone
    const plain = 'FROM busybox AS build\nRUN true\nFROM base\nCOPY --from=build /x /x\n';
    expect(rw(plain).text).toBe(plain.replace('FROM base', 'FROM proj-base'));
  });

  test('a FROM naming a stage defined later uses the context, as BuildKit (only earlier stages are bases)', () => {
    const r = rw('FROM base AS one\nFROM two\nFROM busybox AS two\n', {});
    expect(r.text).toBe('FROM proj-base AS one\nFROM two\nFROM busybox AS two\n');
  });

  test('a stage named like a context is overwritten by it: its base is the context, its instructions go', () => {
    const df = [
      'FROM busybox AS base',
      'RUN echo never \\',
      '  && echo ran',
      'COPY a /a',
      'FROM base',
      'COPY --from=base /b /b',
      '',
    ].join('\n');
    const r = rw(df);
    expect(r.text).toBe(
      [
        'FROM proj-base AS base',
        '#RUN echo never \\',
        '#  && echo ran',
        '#COPY a /a',
        'FROM base',
        'COPY --from=base /b /b',
        '',
      ].join('\n'),
    );
    expect(r.used).toEqual(['base']);
  });

  test('continuations and comments: the name is replaced where it is written', () => {
    const df = [
      '# a comment naming FROM base',
      'FROM \\',
      '  # a comment inside the instruction',
      '',
      '  base',
      'RUN --mount=type=cache,target=/c \\',
      '    --mount=from=files,target=/f \\',
      '    ls /f',
      '',
    ].join('\n');
    const r = rw(df);
    expect(r.text).toBe(
      df
        .replace('  base', '  proj-base')
        .replace('from=files', 'from=berth-context/proj-app-files:0123456789ab'),
    );
    expect(lines(r.text)).toBe(lines(df));
  });

  test('a name split by a continuation moves the joined instruction onto its first line', () => {
    const df = 'FROM ba\\\nse\nRUN true\n';
    const r = rw(df);
    expect(r.text).toBe('FROM proj-base\n#se\nRUN true\n');
  });

  test('the escape directive changes the continuation character', () => {
    const df = '# escape=`\nFROM `\n  base\nCOPY --from=files C:\\a C:\\b\n';
    expect(rw(df).text).toBe(
      '# escape=`\nFROM `\n  proj-base\nCOPY --from=berth-context/proj-app-files:0123456789ab C:\\a C:\\b\n',
    );
  });

  test('reference normalization: docker.io/library/x:latest is x; a tag or digest is another name', () => {
    expect(familiarName('docker.io/library/alpine:latest')).toBe('alpine');
    expect(familiarName('library/alpine')).toBe('alpine');
    expect(familiarName('docker.io/me/app:latest')).toBe('me/app');
    expect(familiarName('alpine:3.19')).toBe('alpine:3.19');
    expect(rw('FROM docker.io/library/alpine:latest\n').text).toBe('FROM berth/busybox:latest\n');
    expect(rw('FROM alpine:3.19\n').text).toBe('FROM alpine:3.19\n');
    expect(rw('FROM alpine@sha256:abc\n').text).toBe('FROM alpine@sha256:abc\n');
  });

  test('global ARGs in FROM are expanded, build args overriding their defaults', () => {
    const df = 'ARG BASE=nothing\nFROM ${BASE}\n';
    expect(rw(df).text).toBe(df);
    expect(rw(df, { BASE: 'base' }).text).toBe('ARG BASE=nothing\nFROM proj-base\n');
    expect(rw('ARG B=files\nFROM $B\n').text).toBe(
      'ARG B=files\nFROM berth-context/proj-app-files:0123456789ab\n',
    );
    expect(rw('ARG B\nFROM ${B:-base}\n').text).toBe('ARG B\nFROM proj-base\n');
  });

  test('scratch and context are never named contexts; --from with a variable is left to the builder', () => {
    const r = rewriteDockerfile('FROM scratch\nCOPY --from=$X /a /a\nCOPY --from=context /b /b\n', {
      scratch: 'x',
      context: 'y',
      X: 'z',
    });
    expect(r.text).toBe('FROM scratch\nCOPY --from=$X /a /a\nCOPY --from=context /b /b\n');
    expect(r.used).toEqual([]);
  });

  test('heredoc bodies are not instructions', () => {
    const df = 'FROM base\nRUN <<EOF\nFROM files\nEOF\nCOPY <<-EOT /x\n\tFROM files\n\tEOT\n';
    const r = rw(df);
    expect(r.text).toBe(df.replace('FROM base', 'FROM proj-base'));
    expect(r.used).toEqual(['base']);
  });

  test('CRLF line ends, quoted --from and mount values', () => {
    const r = rw('FROM base\r\nCOPY --from="files" /a /a\r\nRUN --mount="type=bind,from=alpine" true\r\n');
    expect(r.text).toBe(
      'FROM proj-base\r\nCOPY --from="berth-context/proj-app-files:0123456789ab" /a /a\r\nRUN --mount="type=bind,from=berth/busybox:latest" true\r\n',
    );
  });

  test('ONBUILD and ADD are left alone; names not among the contexts too', () => {
    const df = 'FROM other\nONBUILD COPY --from=files / /\nADD files /files\nCOPY --from=nope / /\n';
    expect(rw(df).text).toBe(df);
  });
});

describe('classifyContext', () => {
  test('images, services, paths, and what berth cannot serve', () => {
    expect(classifyContext('docker-image://berth/busybox:latest')).toEqual({
      kind: 'image',
      ref: 'berth/busybox:latest',
    });
    expect(classifyContext('service:base')).toEqual({ kind: 'service', service: 'base' });
    expect(classifyContext('/abs/dir')).toEqual({ kind: 'path', dir: '/abs/dir' });
    for (const v of [
      'https://github.com/a/b.git',
      'git@github.com:a/b.git',
      'oci-layout:///tmp/l',
      'target:base',
      'docker-image://',
    ])
      expect(classifyContext(v).kind).toBe('unsupported');
  });
});

describe('contextTag', () => {
  test("a folder's image is tagged in berth's namespace with a valid repository name", () => {
    expect(contextTag('shop', 'web', 'Docs Site', 'abcdef0123456789')).toBe(
      'berth-context/shop-web-docs-site:abcdef012345',
    );
    expect(contextTag('shop', 'web', '_x_', 'ff')).toBe('berth-context/shop-web-x:ff');
    expect(contextTag('Shop', 'web', 'a..b', 'ff')).toBe('berth-context/shop-web-a-b:ff');
  });
});

describe('prepareNamedContexts', () => {
  const svc = (build: Partial<NonNullable<Service['build']>>): Service => ({
    ...plainService('app', 'app:dev'),
    build: { context: '/nowhere', dockerfile: 'Dockerfile', args: {}, labels: {}, ...build },
  });
  const noDocker = async () => {
    throw new Error('no engine call is needed for images and services');
  };

  test('service and image contexts need no image of their own: the Dockerfile is rewritten', async () => {
    const p = await prepareNamedContexts(
      noDocker,
      new FakeEngine(),
      svc({
        dockerfile_inline: 'FROM base\nCOPY --from=tools /bin/sh /sh\n',
        additional_contexts: { base: 'service:base', tools: 'docker-image://berth/busybox:latest' },
        serviceImages: { base: 'shop-base' },
      }),
      {},
    );
    expect(p?.dockerfile).toBe('FROM shop-base\nCOPY --from=berth/busybox:latest /bin/sh /sh\n');
    expect(p?.made).toEqual([]);
  });

  test('a missing folder stops the build; a Dockerfile that uses no context is sent as it is', async () => {
    const p = await prepareNamedContexts(
      noDocker,
      new FakeEngine(),
      svc({ dockerfile_inline: 'FROM busybox\n', additional_contexts: { docs: '/nowhere/docs' } }),
      {},
    ).catch((e: Error) => e);
    // the folder is checked first, as buildx checks every local context
    expect((p as { exitCode?: number }).exitCode).toBe(2);
    expect((p as Error).message).toMatch(/`docs`: the folder \/nowhere\/docs does not exist/);
    const none = await prepareNamedContexts(
      noDocker,
      new FakeEngine(),
      svc({ dockerfile_inline: 'FROM busybox\n', additional_contexts: { img: 'docker-image://x' } }),
      {},
    );
    expect(none).toBeUndefined();
  });

  test('a value berth cannot serve stops at its line', async () => {
    const at = { file: 'compose.yaml', line: 7, col: 17 };
    const err = (await prepareNamedContexts(
      noDocker,
      new FakeEngine(),
      svc({
        dockerfile_inline: 'FROM src\n',
        additional_contexts: { src: 'oci-layout:///tmp/l' },
        contextsAt: { src: at },
      }),
      {},
    ).catch((e: unknown) => e)) as { exitCode: number; pos: unknown; message: string };
    expect(err.exitCode).toBe(2);
    expect(err.pos).toEqual(at);
    expect(err.message).toMatch(/`oci-layout:\/\/\/tmp\/l` is not supported on this engine/);
  });
});
