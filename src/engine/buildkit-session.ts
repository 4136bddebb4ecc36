// A BuildKit session with the engine (`POST /session`, as `docker build` with BuildKit opens one): an HTTP
// upgrade to h2c, after which berth is the gRPC *server* on that connection and the engine calls it for the
// build context (FileSync/DiffCopy), build secrets (Secrets/GetSecret), SSH agents (SSH/ForwardAgent) and a
// health check every few seconds (without an answer the engine drops the session mid-build).
//
// gRPC over node:http2 by hand: each message is a 1-byte compressed flag, a 4-byte big-endian length and the
// protobuf; a call ends with the trailer `grpc-status`. The handful of methods served here does not need a
// gRPC library (and @grpc/grpc-js cannot serve on an already connected socket).
import { randomBytes, createHash } from 'node:crypto';
import { connect as netConnect, type Socket } from 'node:net';
import { request } from 'node:http';
import http2, { type ServerHttp2Stream, type IncomingHttpHeaders } from 'node:http2';
import { basename } from 'node:path';
import { type PacketStream, type WalkOptions, sendDiffCopy, walkDir } from './buildkit-fs.js';
import {
  HEALTH_SERVING,
  decodeBytesMessage,
  decodeCheckAgent,
  decodePacket,
  decodeSecretRequest,
  encodeBytesMessage,
  encodePacket,
  encodeSecretResponse,
} from './buildkit-proto.js';
import { EngineError } from './errors.js';

/** A directory the engine may ask for, by the name the build request uses (`context`, `dockerfile`). */
export interface SessionDir {
  root: string;
  /** berth's own exclude patterns, applied besides the engine's (the context's `.dockerignore` rules). */
  excludes?: string[];
  keep?: string[];
}

export interface SessionOptions {
  dirs: Record<string, SessionDir>;
  /** Build secrets by id: their content, read when the engine asks. */
  secrets?: Record<string, () => Promise<Buffer>>;
  /** SSH agents by id (`default`, …): the agent's socket path. */
  ssh?: Record<string, string>;
  /** A name for the session (the engine shows it nowhere important; Docker's CLI uses the context's folder). */
  name?: string;
  /** Same key for the same context: the engine reuses what it received from the last build of it. */
  sharedKey?: string;
}

export interface BuildSession {
  id: string;
  /** Ends the session (the engine sees the connection close). */
  close(): void;
  /** The first failure of a call the engine made (a file that cannot be read): for the build's error. */
  failure(): Error | undefined;
}

const M = {
  diffCopy: '/moby.filesync.v1.FileSync/DiffCopy',
  health: '/grpc.health.v1.Health/Check',
  getSecret: '/moby.buildkit.secrets.v1.Secrets/GetSecret',
  checkAgent: '/moby.sshforward.v1.SSH/CheckAgent',
  forwardAgent: '/moby.sshforward.v1.SSH/ForwardAgent',
} as const;

// gRPC status codes used here
const NOT_FOUND = 5;
const UNIMPLEMENTED = 12;
const INTERNAL = 13;

/** gRPC message framing over a byte stream. */
export function frame(msg: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head.writeUInt32BE(msg.length, 1);
  return Buffer.concat([head, msg]);
}

/** The messages of a gRPC byte stream, as they complete. */
export async function* unframe(chunks: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  let buf: Buffer = Buffer.alloc(0);
  for await (const c of chunks) {
    buf = buf.length ? Buffer.concat([buf, c]) : c;
    while (buf.length >= 5) {
      if (buf[0] !== 0) throw new Error('compressed gRPC message (berth does not offer compression)');
      const len = buf.readUInt32BE(1);
      if (buf.length < 5 + len) break;
      yield buf.subarray(5, 5 + len);
      buf = buf.subarray(5 + len);
    }
  }
}

/**
 * gRPC metadata values of one key, URL-decoded when marked `-encoded` (buildkit's filesync encodeOpts). From
 * the raw header list: node:http2 joins a repeated header into one string with ", ", which would merge the
 * patterns the engine sends one per header.
 */
export function metadata(raw: string[] | undefined, headers: IncomingHttpHeaders, key: string): string[] {
  let values: string[] = [];
  if (raw) {
    for (let i = 0; i + 1 < raw.length; i += 2) if (raw[i]!.toLowerCase() === key) values.push(raw[i + 1]!);
  } else {
    const v = headers[key];
    values = v === undefined ? [] : Array.isArray(v) ? v : v.split(', ');
  }
  const encoded = headers[`${key}-encoded`];
  if (encoded === '1' || encoded === 'true')
    return values.map((v) => decodeURIComponent(v.replace(/\+/g, ' ')));
  return values;
}

const outcome = new WeakMap<ServerHttp2Stream, { status: number; message?: string }>();

/** Answer headers (once) and set the status the call's trailers will carry when it ends. */
function respond(stream: ServerHttp2Stream, status = 0, message?: string): void {
  if (stream.destroyed || stream.closed) return;
  const known = outcome.get(stream);
  if (known) {
    known.status = status;
    known.message = message;
    return;
  }
  const o = { status, message };
  outcome.set(stream, o);
  stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
  stream.once('wantTrailers', () => {
    stream.sendTrailers({
      'grpc-status': String(o.status),
      ...(o.message ? { 'grpc-message': encodeURIComponent(o.message) } : {}),
    });
  });
}

/** Write one message, waiting when the stream's buffer is full (a large file must not sit in memory). */
function write(stream: ServerHttp2Stream, msg: Buffer): Promise<void> {
  if (stream.destroyed || stream.closed) return Promise.reject(new Error('the engine closed the call'));
  if (stream.write(frame(msg))) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const done = (err?: Error) => {
      stream.off('drain', onDrain);
      stream.off('close', onClose);
      if (err) reject(err);
      else resolve();
    };
    const onDrain = () => done();
    const onClose = () => done(new Error('the engine closed the call'));
    stream.on('drain', onDrain);
    stream.on('close', onClose);
  });
}

/**
 * The gRPC messages of a call, as they arrive. Leaving the loop early does not reset the call (a `for await`
 * straight over the stream would destroy it, and the engine would see a CANCEL instead of our answer).
 */
function messages(stream: ServerHttp2Stream): AsyncIterable<Buffer> {
  const chunks: AsyncIterable<Buffer> = {
    [Symbol.asyncIterator]() {
      const queue: Buffer[] = [];
      let ended = false;
      let failed: Error | undefined;
      let wake: (() => void) | undefined;
      const onData = (c: Buffer) => {
        queue.push(c);
        wake?.();
      };
      const onEnd = () => {
        ended = true;
        wake?.();
      };
      const onError = (err: Error) => {
        failed = err;
        wake?.();
      };
      stream.on('data', onData);
      stream.on('end', onEnd);
      stream.on('close', onEnd);
      stream.on('error', onError);
      const detach = () => {
        stream.off('data', onData);
        stream.off('end', onEnd);
        stream.off('close', onEnd);
        stream.off('error', onError);
        stream.resume(); // keep reading (and dropping) what else comes, so the call can end cleanly
      };
      return {
        async next(): Promise<IteratorResult<Buffer>> {
          for (;;) {
            const c = queue.shift();
            if (c) return { value: c, done: false };
            if (failed) {
              detach();
              throw failed;
            }
            if (ended) {
              detach();
              return { value: undefined, done: true };
            }
            await new Promise<void>((r) => {
              wake = r;
            });
            wake = undefined;
          }
        },
        async return(): Promise<IteratorResult<Buffer>> {
          detach();
          return { value: undefined, done: true };
        },
      };
    },
  };
  return unframe(chunks);
}

async function unary(stream: ServerHttp2Stream): Promise<Buffer> {
  for await (const m of messages(stream)) return m;
  return Buffer.alloc(0);
}

/**
 * Open a session on the engine's local socket. Resolves once the engine switched protocols; the engine
 * then knows the session by `id` and a build request can name it.
 */
export function openSession(socketPath: string, opts: SessionOptions): Promise<BuildSession> {
  const id = randomBytes(16).toString('hex').slice(0, 25);
  const methods: string[] = [M.diffCopy, M.health];
  if (opts.secrets && Object.keys(opts.secrets).length) methods.push(M.getSecret);
  if (opts.ssh && Object.keys(opts.ssh).length) methods.push(M.checkAgent, M.forwardAgent);
  const contextRoot = opts.dirs.context?.root ?? '';
  const headers: Record<string, string | string[]> = {
    host: 'docker',
    Connection: 'Upgrade',
    Upgrade: 'h2c',
    'X-Docker-Expose-Session-Uuid': id,
    'X-Docker-Expose-Session-Name': opts.name ?? basename(contextRoot),
    'X-Docker-Expose-Session-Sharedkey':
      opts.sharedKey ?? createHash('sha256').update(contextRoot).digest('hex').slice(0, 25),
    'X-Docker-Expose-Session-Grpc-Method': methods,
  };
  let failed: Error | undefined;
  const fail = (err: unknown) => {
    failed ??= err instanceof Error ? err : new Error(String(err));
  };

  const serve = async (stream: ServerHttp2Stream, h: IncomingHttpHeaders, raw?: string[]) => {
    const path = String(h[':path'] ?? '');
    switch (path) {
      case M.health: {
        await unary(stream);
        respond(stream);
        await write(stream, HEALTH_SERVING);
        stream.end();
        return;
      }
      case M.diffCopy: {
        const name = metadata(raw, h, 'dir-name')[0] ?? '';
        const dir = opts.dirs[name];
        if (!dir) {
          respond(stream, NOT_FOUND, `no access allowed to dir "${name}"`);
          stream.end();
          return;
        }
        const walk: WalkOptions = {
          includes: metadata(raw, h, 'include-patterns'),
          excludes: [...metadata(raw, h, 'exclude-patterns'), ...(dir.excludes ?? [])],
          keep: dir.keep,
          followPaths: metadata(raw, h, 'followpaths'),
        };
        respond(stream);
        const packets: PacketStream = {
          send: (p) => write(stream, encodePacket(p)),
          receive: async function* () {
            for await (const m of messages(stream)) yield decodePacket(m);
          },
        };
        await sendDiffCopy(packets, await walkDir(dir.root, walk));
        stream.end();
        return;
      }
      case M.getSecret: {
        const { id: secretId } = decodeSecretRequest(await unary(stream));
        const read = opts.secrets?.[secretId];
        if (!read) {
          respond(stream, NOT_FOUND, `secret ${secretId} not found`);
          stream.end();
          return;
        }
        const data = await read();
        respond(stream);
        await write(stream, encodeSecretResponse(data));
        stream.end();
        return;
      }
      case M.checkAgent: {
        const { id: agent } = decodeCheckAgent(await unary(stream));
        const sock = opts.ssh?.[agent || 'default'];
        respond(stream, sock ? 0 : NOT_FOUND, sock ? undefined : `unset ssh forward key ${agent}`);
        if (sock) await write(stream, Buffer.alloc(0));
        stream.end();
        return;
      }
      case M.forwardAgent: {
        const agent = metadata(raw, h, 'buildkit.ssh.id')[0] || 'default';
        const sock = opts.ssh?.[agent];
        if (!sock) {
          respond(stream, NOT_FOUND, `unset ssh forward key ${agent}`);
          stream.end();
          return;
        }
        respond(stream);
        await forwardAgent(stream, sock);
        return;
      }
      default:
        respond(stream, UNIMPLEMENTED, `unknown method ${path}`);
        stream.end();
    }
  };

  return new Promise((resolve, reject) => {
    const req = request({ socketPath, method: 'POST', path: '/session', headers });
    req.on('error', (err: NodeJS.ErrnoException) =>
      reject(new EngineError('unreachable', `cannot open a build session: ${err.code ?? err.message}`)),
    );
    req.on('response', (res) => {
      // no upgrade: the engine has no sessions (an old or a foreign engine)
      let text = '';
      res.on('data', (c: Buffer) => {
        text += c.toString();
      });
      res.on('end', () =>
        reject(
          new EngineError(
            'failed',
            `the engine refused a BuildKit session (HTTP ${res.statusCode}): ${text.trim()}`,
            res.statusCode,
          ),
        ),
      );
    });
    req.on('upgrade', (_res, socket: Socket, head: Buffer) => {
      if (head.length) socket.unshift(head);
      const server = http2.createServer();
      server.on(
        'stream',
        (stream: ServerHttp2Stream, h: IncomingHttpHeaders, _flags: number, raw?: string[]) => {
          stream.on('error', () => {}); // the engine resetting a call it no longer needs is not an error
          serve(stream, h, raw).catch((err: Error) => {
            fail(err);
            respond(stream, INTERNAL, err.message);
            if (!stream.destroyed) stream.end();
          });
        },
      );
      server.on('sessionError', () => {});
      socket.on('error', () => {});
      server.emit('connection', socket);
      resolve({
        id,
        close: () => {
          socket.destroy();
          server.close();
        },
        failure: () => failed,
      });
    });
    req.end();
  });
}

/** Pipe an SSH agent's socket through a ForwardAgent call (BytesMessage both ways). */
async function forwardAgent(stream: ServerHttp2Stream, socketPath: string): Promise<void> {
  const agent = netConnect(socketPath);
  await new Promise<void>((resolve, reject) => {
    agent.once('connect', resolve);
    agent.once('error', reject);
  });
  agent.on('data', (d: Buffer) => {
    write(stream, encodeBytesMessage(d)).catch(() => agent.destroy());
  });
  const closed = new Promise<void>((resolve) => agent.once('close', () => resolve()));
  agent.on('error', () => {});
  for await (const m of messages(stream)) agent.write(decodeBytesMessage(m));
  agent.end();
  await closed;
  if (!stream.destroyed) stream.end();
}
