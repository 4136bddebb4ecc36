// BuildKit through the engine API, the parts that need no engine: the protobuf messages of the session
// (fsutil Packet/Stat, BuildKit's StatusResponse), the file-sync walk (order, include/exclude/follow paths)
// and its DiffCopy exchange, the progress rendering, gRPC framing and metadata, and which builder builds what.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { type Server, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { PlainProgress, buildKitQuery, sessionFor } from '../../src/engine/buildkit-build.js';
import { type PacketStream, goFileMode, sendDiffCopy, walkDir } from '../../src/engine/buildkit-fs.js';
import { buildKitGap, chooseBuilder, classicOnly } from '../../src/engine/buildkit-policy.js';
import {
  type Packet,
  PacketType,
  ProtoWriter,
  decodePacket,
  decodeSecretRequest,
  decodeStatusResponse,
  encodePacket,
  encodeStatusResponse,
  readFields,
} from '../../src/engine/buildkit-proto.js';
import { frame, metadata, unframe } from '../../src/engine/buildkit-session.js';
import { buildRefusal } from '../../src/images/ensure.js';
import { type Service, plainService } from '../../src/model/stack.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function makeDir(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'berth-bk-'));
  dirs.push(root);
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, rel)), { recursive: true });
    if (rel.endsWith('/')) continue;
    writeFileSync(join(root, rel), content);
  }
  return root;
}

const paths = async (root: string, opts = {}) => (await walkDir(root, opts)).map((e) => e.stat.path);

describe('protobuf messages', () => {
  test('a STAT packet round-trips, with Go file modes and nanosecond times', () => {
    const p: Packet = {
      type: PacketType.STAT,
      stat: {
        path: 'src/a b.txt',
        mode: goFileMode(0o100644),
        uid: 0,
        gid: 0,
        size: 5_000_000_000n,
        modTime: 1_764_500_000_123_456_789n,
      },
    };
    expect(decodePacket(encodePacket(p))).toEqual(p);
    expect(goFileMode(0o040755)).toBe(0x80000000 + 0o755);
    expect(goFileMode(0o120777)).toBe(0x08000000 + 0o777);
    expect(goFileMode(0o104755)).toBe((1 << 23) + 0o755);
  });

  test('the exact bytes of small packets (as gogo/protobuf writes them)', () => {
    // REQ id 3: field 1 varint 1, field 3 varint 3
    expect(encodePacket({ type: PacketType.REQ, id: 3 }).toString('hex')).toBe('08011803');
    // the empty STAT that ends the list is an empty message
    expect(encodePacket({ type: PacketType.STAT }).length).toBe(0);
    // DATA id 0 with bytes
    expect(encodePacket({ type: PacketType.DATA, data: Buffer.from('hi') }).toString('hex')).toBe(
      '08022202' + Buffer.from('hi').toString('hex'),
    );
    expect(decodeSecretRequest(new ProtoWriter().bytes(1, 'tok').finish())).toEqual({ id: 'tok' });
  });

  test('a StatusResponse with vertexes, statuses and logs round-trips', () => {
    const r = {
      vertexes: [
        { digest: 'sha256:a', name: '[1/2] FROM x', cached: true, started: 1000, completed: 1200 },
        { digest: 'sha256:b', name: '[2/2] RUN false', cached: false, started: 1300, error: 'exit code: 1' },
      ],
      statuses: [{ id: 'ctx', vertex: 'sha256:a', name: 'transferring', current: 10, total: 20 }],
      logs: [{ vertex: 'sha256:b', stream: 2, msg: Buffer.from('nope\n') }],
    };
    const back = decodeStatusResponse(encodeStatusResponse(r));
    expect(back.vertexes).toEqual(r.vertexes);
    expect(back.statuses).toEqual(r.statuses);
    expect(back.logs.map((l) => ({ ...l, msg: l.msg.toString() }))).toEqual([
      { vertex: 'sha256:b', stream: 2, msg: 'nope\n' },
    ]);
  });

  test('unknown fields are skipped; a truncated message is an error, not a wrong value', () => {
    const withExtra = Buffer.concat([
      new ProtoWriter().bytes(15, 'future').finish(),
      encodePacket({ type: PacketType.FIN }),
    ]);
    expect(decodePacket(withExtra).type).toBe(PacketType.FIN);
    expect(() => readFields(Buffer.from([0x0a, 0x05, 0x61]))).toThrow(/truncated/);
  });
});

describe('gRPC framing and metadata', () => {
  test('messages split across chunks and several in one chunk come out whole', async () => {
    const a = frame(Buffer.from('first'));
    const b = frame(Buffer.alloc(0));
    const c = frame(Buffer.from('third message'));
    const all = Buffer.concat([a, b, c]);
    async function* chunks() {
      yield all.subarray(0, 3);
      yield all.subarray(3, 12);
      yield all.subarray(12);
    }
    const out: string[] = [];
    for await (const m of unframe(chunks())) out.push(m.toString());
    expect(out).toEqual(['first', '', 'third message']);
  });

  test('repeated metadata comes from the raw headers, not node:http2 joined string; -encoded values are decoded', () => {
    const raw = ['followpaths', 'Dockerfile', 'followpaths', 'a, b.txt', 'dir-name', 'dockerfile'];
    expect(metadata(raw, { followpaths: 'Dockerfile, a, b.txt' }, 'followpaths')).toEqual([
      'Dockerfile',
      'a, b.txt',
    ]);
    expect(
      metadata(['exclude-patterns', 'caf%C3%A9'], { 'exclude-patterns-encoded': '1' }, 'exclude-patterns'),
    ).toEqual(['café']);
  });
});

describe('the file-sync walk', () => {
  test('by name, parents before children, as Go filepath.Walk (a-b sorts before a/…)', async () => {
    const root = makeDir({ 'b.txt': '', 'a/z': '', 'a-b': '', 'a/c/d': '', A: '' });
    expect(await paths(root)).toEqual(['A', 'a', 'a/c', 'a/c/d', 'a/z', 'a-b', 'b.txt']);
  });

  test('exclude patterns as .dockerignore, with exceptions inside an excluded folder and kept paths', async () => {
    const root = makeDir({
      'node_modules/x/index.js': '',
      'logs/a.log': '',
      'logs/keep.log': '',
      'src/app.js': '',
      '.dockerignore': '',
      'secret.env': '',
    });
    const got = await paths(root, {
      excludes: ['node_modules', 'logs', '!logs/keep.log', '*.env', '.dockerignore'],
      keep: ['.dockerignore'],
    });
    // logs/ itself is excluded but sent ahead of its re-included child, so the receiver has the parent
    expect(got).toEqual(['.dockerignore', 'logs', 'logs/keep.log', 'src', 'src/app.js']);
  });

  test('include patterns (and follow paths): only those, with the folders leading to them', async () => {
    const root = makeDir({ Dockerfile: '', 'other.txt': '', 'sub/deep/Dockerfile': '', 'sub/x': '' });
    expect(await paths(root, { followPaths: ['Dockerfile', 'Dockerfile.dockerignore'] })).toEqual([
      'Dockerfile',
    ]);
    expect(await paths(root, { includes: ['sub/*/Dockerfile'] })).toEqual([
      'sub',
      'sub/deep',
      'sub/deep/Dockerfile',
    ]);
    // a folder that matches sends everything below it
    expect(await paths(root, { includes: ['sub'] })).toEqual([
      'sub',
      'sub/deep',
      'sub/deep/Dockerfile',
      'sub/x',
    ]);
  });

  test('a followed symlink sends its target too; links are sent as links with their target', async () => {
    const root = makeDir({ 'real/Dockerfile': 'FROM x\n', other: '' });
    symlinkSync('real/Dockerfile', join(root, 'Dockerfile'));
    const entries = await walkDir(root, { followPaths: ['Dockerfile'] });
    expect(entries.map((e) => e.stat.path)).toEqual(['Dockerfile', 'real', 'real/Dockerfile']);
    expect(entries[0]!.stat.linkname).toBe('real/Dockerfile');
    expect(entries[0]!.stat.mode & 0x08000000).not.toBe(0);
    expect(entries[2]!.stat.size).toBe(7n);
  });
});

/** The engine's side of DiffCopy, scripted: asks for the listed files it wants, then FIN. */
function fakeReceiver(want: (path: string) => boolean) {
  const sent: Packet[] = [];
  const inbox: Packet[] = [];
  let wake: (() => void) | undefined;
  const push = (p: Packet) => {
    inbox.push(p);
    wake?.();
  };
  const listed: string[] = [];
  const files = new Map<number, Buffer[]>();
  let pendingFiles = 0;
  let listDone = false;
  const maybeFinish = () => {
    if (listDone && pendingFiles === 0) push({ type: PacketType.FIN });
  };
  const stream: PacketStream = {
    send: async (p) => {
      sent.push(p);
      if (p.type === PacketType.STAT && p.stat) {
        const id = listed.length;
        listed.push(p.stat.path);
        if ((p.stat.mode & 0x88000000) === 0 && want(p.stat.path)) {
          pendingFiles++;
          files.set(id, []);
          push({ type: PacketType.REQ, id });
        }
      } else if (p.type === PacketType.STAT) {
        listDone = true;
        maybeFinish();
      } else if (p.type === PacketType.DATA) {
        if (p.data?.length) files.get(p.id ?? 0)!.push(p.data);
        else {
          pendingFiles--;
          maybeFinish();
        }
      }
    },
    receive: async function* () {
      for (;;) {
        const p = inbox.shift();
        if (p) {
          yield p;
          if (p.type === PacketType.FIN) return;
          continue;
        }
        await new Promise<void>((r) => {
          wake = r;
        });
      }
    },
  };
  return { stream, sent, listed, files };
}

describe('DiffCopy', () => {
  test('lists every path, sends the asked files in 32 KiB chunks, answers FIN with FIN', async () => {
    const big = 'x'.repeat(70_000);
    const root = makeDir({ 'a.txt': 'alpha', 'dir/big.bin': big, 'dir/skip.txt': 'not asked' });
    const r = fakeReceiver((p) => p !== 'dir/skip.txt');
    await sendDiffCopy(r.stream, await walkDir(root));
    expect(r.listed).toEqual(['a.txt', 'dir', 'dir/big.bin', 'dir/skip.txt']);
    expect(Buffer.concat(r.files.get(0)!).toString()).toBe('alpha');
    expect(r.files.get(2)!.map((c) => c.length)).toEqual([32768, 32768, 70_000 - 65536]);
    expect(Buffer.concat(r.files.get(2)!).toString()).toBe(big);
    expect(r.sent.at(-1)).toEqual({ type: PacketType.FIN });
    // no data for what was not asked
    expect(r.files.has(3)).toBe(false);
  });

  test('a request for a folder or an unknown id is an error (a confused peer), not a hang', async () => {
    const root = makeDir({ 'dir/a': 'a' });
    const stream: PacketStream = {
      send: async () => {},
      receive: async function* () {
        yield { type: PacketType.REQ, id: 0 };
      },
    };
    await expect(sendDiffCopy(stream, await walkDir(root))).rejects.toThrow(/file 0, which was not offered/);
  });
});

describe('progress', () => {
  test('rendered as docker build --progress=plain, and the failing step keeps its last lines', () => {
    const lines: string[] = [];
    const p = new PlainProgress((l) => lines.push(l));
    p.update({
      vertexes: [
        { digest: 'a', name: '[1/2] FROM berth/busybox', cached: false, started: 1000 },
        { digest: 'b', name: '[2/2] RUN make', cached: false },
      ],
      statuses: [],
      logs: [],
    });
    p.update({
      vertexes: [
        { digest: 'a', name: '[1/2] FROM berth/busybox', cached: true, started: 1000, completed: 1000 },
        { digest: 'b', name: '[2/2] RUN make', cached: false, started: 2000 },
      ],
      statuses: [],
      logs: [{ vertex: 'b', stream: 1, msg: Buffer.from('compiling\nlink') }],
    });
    p.update({
      vertexes: [
        {
          digest: 'b',
          name: '[2/2] RUN make',
          cached: false,
          started: 2000,
          completed: 2500,
          error: 'exit code: 2',
        },
      ],
      statuses: [],
      logs: [{ vertex: 'b', stream: 1, msg: Buffer.from('ing failed\n') }],
    });
    expect(lines).toEqual([
      '#1 [1/2] FROM berth/busybox',
      '#2 [2/2] RUN make',
      '#2 compiling',
      '#1 CACHED',
      '#2 linking failed',
      '#2 ERROR: exit code: 2',
    ]);
    expect(p.failedStep()).toEqual({ step: '[2/2] RUN make', lines: ['compiling', 'linking failed'] });
  });
});

describe('the build request and session', () => {
  test('query: version 2, the session, repeated tags and extra hosts, JSON build args', () => {
    const q = new URLSearchParams(
      buildKitQuery(
        { t: ['a:1', 'b:2'], buildargs: { X: '1' }, extrahosts: 'h1:1.2.3.4,h2:5.6.7.8', rm: true },
        'S',
        'B',
      ),
    );
    expect(q.get('version')).toBe('2');
    expect(q.get('session')).toBe('S');
    expect(q.get('remote')).toBe('client-session');
    expect(q.getAll('t')).toEqual(['a:1', 'b:2']);
    expect(q.getAll('extrahosts')).toEqual(['h1:1.2.3.4', 'h2:5.6.7.8']);
    expect(q.get('buildargs')).toBe('{"X":"1"}');
  });

  test('folders, secrets (id = target, else source) and ssh agents of a service', async () => {
    const ctx = makeDir({ Dockerfile: 'FROM x', 'tok.txt': 'from-file', '.dockerignore': 'tok.txt\n' });
    const s: Service = {
      ...plainService('app', 'app:dev'),
      build: {
        context: ctx,
        dockerfile: 'Dockerfile',
        args: {},
        labels: {},
        secrets: [
          { source: 'f', file: join(ctx, 'tok.txt') },
          { source: 'e', target: 'npmrc', environment: 'TOKEN', value: 'from-env' },
        ],
        ssh: ['default', `work=${join(ctx, 'work.sock')}`],
      },
    };
    // two agent sockets that exist (berth forwards sockets, and checks they are there)
    const servers: Server[] = [];
    for (const sock of ['agent.sock', 'work.sock'])
      await new Promise<void>((r) => {
        const srv = createServer();
        servers.push(srv);
        srv.listen(join(ctx, sock), r);
      });
    const { session, dockerfile, cleanup } = await sessionFor(s, { SSH_AUTH_SOCK: join(ctx, 'agent.sock') });
    await cleanup();
    await expect(sessionFor(s, {})).rejects.toThrow(
      /`default` forwards the SSH agent, but SSH_AUTH_SOCK is not set/,
    );
    await expect(sessionFor(s, { SSH_AUTH_SOCK: join(ctx, 'tok.txt') })).rejects.toThrow(
      /tok\.txt is not a private key berth can read \(OpenSSH or PEM\)/,
    );
    for (const srv of servers) srv.close();
    expect(dockerfile).toBe('Dockerfile');
    expect(session.dirs.context).toEqual({
      root: ctx,
      excludes: ['tok.txt'],
      keep: ['.dockerignore', 'Dockerfile'],
    });
    expect(session.dirs.dockerfile?.root).toBe(ctx);
    expect((await session.secrets!.f!()).toString()).toBe('from-file');
    expect((await session.secrets!.npmrc!()).toString()).toBe('from-env');
    expect(session.secrets!.e).toBeUndefined();
    expect(session.ssh).toEqual({ default: join(ctx, 'agent.sock'), work: join(ctx, 'work.sock') });
  });
});

describe('which builder', () => {
  test('BuildKit when the engine offers it; DOCKER_BUILDKIT=0 forces classic; =1 without it is refused', () => {
    const docker = { product: 'docker' as const, apiVersion: '1.41', socket: '/var/run/docker.sock' };
    expect(chooseBuilder({ ...docker, env: {} }).kind).toBe('buildkit');
    expect(chooseBuilder({ ...docker, env: { DOCKER_BUILDKIT: '0' } })).toEqual({
      kind: 'classic',
      reason: 'DOCKER_BUILDKIT=0',
    });
    const podman = chooseBuilder({ product: 'podman', apiVersion: '', socket: '/s', env: {} });
    expect(podman.kind).toBe('classic');
    expect(podman.refused).toBeUndefined();
    expect(
      chooseBuilder({ product: 'podman', apiVersion: '', socket: '/s', env: { DOCKER_BUILDKIT: '1' } })
        .refused,
    ).toMatch(/DOCKER_BUILDKIT=1 asks for BuildKit, but Podman/);
    expect(chooseBuilder({ ...docker, apiVersion: '1.38', env: {} }).kind).toBe('classic');
    expect(chooseBuilder({ ...docker, socket: undefined, env: {} }).reason).toMatch(/local engine socket/);
  });

  test('settings only the classic route honours, and keys the /build API cannot pass', () => {
    const b = { context: '/c', dockerfile: 'Dockerfile', args: {}, labels: {} };
    expect(classicOnly(b)).toEqual([]);
    expect(classicOnly({ ...b, shm_size: 1024, network: 'mynet' }).map((c) => c.key)).toEqual([
      'shm_size',
      'network',
    ]);
    expect(classicOnly({ ...b, network: 'host', extra_hosts: ['h:1.2.3.4'] })).toEqual([]);
    expect(classicOnly({ ...b, extra_hosts: ['h:::1'] }).map((c) => c.key)).toEqual(['extra_hosts']);
    expect(buildKitGap('secrets', b)).toBeUndefined();
    expect(buildKitGap('ssh', b)).toBeUndefined();
    // named contexts are served by a Dockerfile rewrite on every builder (named-contexts.ts)
    expect(buildKitGap('additional_contexts', b)).toBeUndefined();
    expect(buildKitGap('privileged', b)).toMatch(/security.insecure/);
    expect(
      buildKitGap('entitlements', { ...b, entitlements: ['network.host'], network: 'host' }),
    ).toBeUndefined();
    expect(buildKitGap('entitlements', { ...b, entitlements: ['network.host'] })).toMatch(/network.host/);
  });

  test('refusals name each key with its line and why', () => {
    const s = (build: Partial<NonNullable<Service['build']>>): Service => ({
      ...plainService('app', 'app:dev'),
      build: { context: '/c', dockerfile: 'Dockerfile', args: {}, labels: {}, ...build },
    });
    const kit = { kind: 'buildkit' as const, reason: 'the engine offers BuildKit (API 1.41)' };
    const secrets = { needsBuildKit: [{ key: 'services.app.build.secrets', at: 'compose.yaml:7' }] };
    expect(buildRefusal(s(secrets), kit)).toBeUndefined();
    expect(buildRefusal(s(secrets), { kind: 'classic', reason: 'DOCKER_BUILDKIT=0' })?.message).toMatch(
      /`services.app.build.secrets` \(compose.yaml:7\) needs BuildKit; .*\(DOCKER_BUILDKIT=0\)/,
    );
    const contexts = buildRefusal(
      s({ additional_contexts: { base: 'service:base', docs: '/c/docs', img: 'docker-image://x' } }),
      { kind: 'classic', reason: 'DOCKER_BUILDKIT=0' },
    );
    expect(contexts).toBeUndefined();
    const remote = buildRefusal(
      s({
        additional_contexts: { src: 'git@github.com:acme/src.git' },
        contextsAt: { src: { file: 'compose.yaml', line: 9, col: 14 } },
      }),
      kit,
    );
    expect(remote?.exitCode).toBe(2);
    expect(remote?.pos).toEqual({ file: 'compose.yaml', line: 9, col: 14 });
    expect(remote?.message).toMatch(/`src`: `git@github.com:acme\/src.git` is not supported on this engine/);
    expect(buildRefusal(s({ ...secrets, shm_size: 1 << 20 }), kit)?.message).toMatch(
      /needs BuildKit, but `build.shm_size` needs the classic builder/,
    );
    expect(
      buildRefusal(s({ ...secrets, secrets: [{ source: 'tok', environment: 'TOK' }] }), kit)?.message,
    ).toMatch(/environment variable TOK required by build secret `tok` \(compose.yaml:7\) is not set/);
    expect(buildRefusal(s({ ...secrets, secrets: [{ source: 'inline' }] }), kit)?.message).toMatch(
      /build.secrets only supports environment or file-based secrets/,
    );
    expect(
      buildRefusal(s({}), { ...kit, refused: 'DOCKER_BUILDKIT=1 asks for BuildKit, but x' })?.message,
    ).toMatch(/cannot build service "app": DOCKER_BUILDKIT=1/);
  });
});
