// The Docker API over node:http on a local unix socket. Loading dockerode costs 0.2-0.4 s of CLI start-up
// (it pulls in gRPC and ssh2 at import), a large part of a no-op `up` or a `down`; the lifecycle needs a few
// dozen plain REST calls, so they go straight to the socket. Every call has a deadline for the engine's first
// byte (BERTH_ENGINE_TIMEOUT seconds, 30 by default; a stop adds its grace period), so an engine that accepts
// connections but never answers ends in exit 3 naming it, not a hang. Reads (and the ping every verb starts
// with) get that deadline; calls that make the engine work (create, start, stop, remove...) get four times
// it, because a busy engine on a loaded machine is slow there, not dead.
import { type IncomingMessage, type RequestOptions, request } from 'node:http';
import type Docker from 'dockerode';
import type { ContainerApi, DockerApi, ExecHandle, Query } from './docker-api.js';
import { EngineError, engineErrorOfStatus } from './errors.js';

/** The local socket from DOCKER_HOST (unix:// only), or undefined when the engine is elsewhere. */
export function localSocket(env = process.env): string | undefined {
  const host = env.DOCKER_HOST;
  if (!host) return '/var/run/docker.sock';
  if (host.startsWith('unix://')) return host.slice('unix://'.length);
  return undefined;
}

/** How long to wait for the engine's first byte, in ms (BERTH_ENGINE_TIMEOUT, seconds). */
export function engineTimeoutMs(env = process.env): number {
  const s = Number(env.BERTH_ENGINE_TIMEOUT);
  return Number.isFinite(s) && s > 0 ? s * 1000 : 30_000;
}

const qs = (o: Query | undefined) => {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(o ?? {})) if (v !== undefined) q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
};

/** A path segment for an image or container name: each part escaped, the slashes kept. */
export const seg = (s: string) => s.split('/').map(encodeURIComponent).join('/');

interface CallOptions {
  query?: Query;
  body?: unknown;
  /** Raw body (a tar), sent as is. */
  raw?: { data: Buffer; type: string };
  signal?: AbortSignal;
  /** Extra time the engine may take before answering (a stop waits for the container's grace period). */
  extraMs?: number;
}

class Http {
  constructor(
    private readonly socketPath: string,
    private readonly timeoutMs: number,
  ) {}

  get endpoint() {
    return `unix://${this.socketPath}`;
  }

  /** Open a request; resolves with the response once its headers arrive (EngineError for status >= 300). */
  open(method: string, path: string, o: CallOptions = {}): Promise<IncomingMessage> {
    return new Promise((resolve, reject) => {
      const payload = o.raw?.data ?? (o.body === undefined ? undefined : Buffer.from(JSON.stringify(o.body)));
      const type = o.raw?.type ?? 'application/json';
      const ms =
        (method === 'GET' || method === 'HEAD' ? this.timeoutMs : 4 * this.timeoutMs) + (o.extraMs ?? 0);
      const req = request(
        {
          socketPath: this.socketPath,
          path: `${path}${qs(o.query)}`,
          method,
          headers: {
            host: 'docker',
            ...(payload ? { 'content-type': type, 'content-length': payload.length } : {}),
          },
          signal: o.signal,
          // Without a servername node's agent works one out from the host header, testing it with isIP(): the
          // first test compiles node's IPv6 pattern, 10-17 ms of CPU in every berth call. TLS is never used here.
          servername: '',
        } as RequestOptions & { servername: string },
        (res) => {
          clearTimeout(timer);
          const status = res.statusCode ?? 500;
          if (status < 300) return resolve(res);
          readAll(res).then((buf) => {
            const text = buf.toString('utf8');
            let message = text.trim();
            try {
              message = (JSON.parse(text) as { message?: string }).message ?? message;
            } catch {}
            reject(engineErrorOfStatus(status, message));
          }, reject);
        },
      );
      const timer = setTimeout(() => {
        req.destroy();
        reject(
          new EngineError(
            'timeout',
            `no answer from the engine within ${Math.round(ms / 1000)} s (${method} ${path})`,
          ),
        );
      }, ms);
      req.on('error', (err: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        if (err.name === 'AbortError') return reject(err);
        const code = err.code ?? '';
        const down =
          code === 'ECONNREFUSED' || code === 'ENOENT' || code === 'EACCES' || code === 'ECONNRESET';
        reject(
          new EngineError(down ? 'unreachable' : 'failed', `${code || err.message} on ${this.endpoint}`),
        );
      });
      req.end(payload);
    });
  }

  async call<T>(method: string, path: string, o: CallOptions = {}): Promise<T> {
    const buf = await readAll(await this.open(method, path, o));
    if (!buf.length) return undefined as T;
    try {
      return JSON.parse(buf.toString('utf8')) as T;
    } catch {
      return buf as T;
    }
  }
}

function readAll(res: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => resolve(Buffer.concat(chunks)));
    res.on('error', reject);
  });
}

export function lightApi(socketPath: string, timeoutMs = engineTimeoutMs()): DockerApi {
  const http = new Http(socketPath, timeoutMs);
  const container = (id: string): ContainerApi => {
    const p = `/containers/${seg(id)}`;
    return {
      id,
      start: () => http.call('POST', `${p}/start`),
      stop: (o = {}) => http.call('POST', `${p}/stop`, { query: { t: o.t }, extraMs: (o.t ?? 10) * 1000 }),
      restart: (o = {}) =>
        http.call('POST', `${p}/restart`, { query: { t: o.t }, extraMs: (o.t ?? 10) * 1000 }),
      kill: (o = {}) => http.call('POST', `${p}/kill`, { query: { signal: o.signal } }),
      pause: () => http.call('POST', `${p}/pause`),
      unpause: () => http.call('POST', `${p}/unpause`),
      remove: (o = {}) => http.call('DELETE', p, { query: { v: o.v, force: o.force } }),
      rename: (o) => http.call('POST', `${p}/rename`, { query: { name: o.name } }),
      inspect: () => http.call<Docker.ContainerInspectInfo>('GET', `${p}/json`),
      exec: async (o): Promise<ExecHandle> => {
        const { Id } = await http.call<{ Id: string }>('POST', `${p}/exec`, { body: o });
        return {
          start: (s) => http.call('POST', `/exec/${seg(Id)}/start`, { body: s }),
          inspect: () => http.call<Docker.ExecInspectInfo>('GET', `/exec/${seg(Id)}/json`),
        };
      },
      putArchive: (tar, o) =>
        http.call('PUT', `${p}/archive`, {
          query: { path: o.path },
          raw: { data: tar, type: 'application/x-tar' },
        }),
      changes: () => http.call<Array<{ Path: string; Kind: number }> | null>('GET', `${p}/changes`),
      top: (o) => http.call('GET', `${p}/top`, { query: { ps_args: o.ps_args } }),
      // the engine answers the headers at once and the body when the container stops: no deadline on that
      wait: (signal) => http.call('POST', `${p}/wait`, { query: { condition: 'not-running' }, signal }),
    };
  };
  return {
    endpoint: http.endpoint,
    ping: async () => {
      const res = await http.open('GET', '/_ping');
      await readAll(res);
      return { headers: res.headers };
    },
    version: () => http.call('GET', '/version'),
    info: () => http.call('GET', '/info'),
    listContainers: (o) =>
      http.call('GET', '/containers/json', { query: { all: o.all, filters: o.filters } }),
    listNetworks: (o) => http.call('GET', '/networks', { query: { filters: o.filters } }),
    listVolumes: (o) => http.call('GET', '/volumes', { query: { filters: o.filters } }),
    listImages: (o) => http.call('GET', '/images/json', { query: { filters: o.filters } }),
    inspectImage: (ref) => http.call('GET', `/images/${seg(ref)}/json`),
    removeImage: (ref) => http.call('DELETE', `/images/${seg(ref)}`),
    tagImage: (id, o) => http.call('POST', `/images/${seg(id)}/tag`, { query: { repo: o.repo, tag: o.tag } }),
    createContainer: async (opts) => {
      const { name, ...body } = opts;
      const res = await http.call<{ Id: string }>('POST', '/containers/create', { query: { name }, body });
      return { id: res.Id };
    },
    getContainer: container,
    createNetwork: (o) => http.call('POST', '/networks/create', { body: o }),
    connectNetwork: (id, o) => http.call('POST', `/networks/${seg(id)}/connect`, { body: o }),
    disconnectNetwork: (id, o) => http.call('POST', `/networks/${seg(id)}/disconnect`, { body: o }),
    removeNetwork: (id) => http.call('DELETE', `/networks/${seg(id)}`),
    createVolume: (o) => http.call('POST', '/volumes/create', { body: o }),
    removeVolume: (name) => http.call('DELETE', `/volumes/${seg(name)}`),
    importImage: (tar, ref) =>
      http.call('POST', '/images/create', {
        query: { fromSrc: '-', repo: ref },
        raw: { data: tar, type: 'application/x-tar' },
      }),
    request: (method, path, o = {}) => http.call(method, path, o),
    stream: (path, query, signal) => http.open('GET', path, { query, signal }),
  };
}
