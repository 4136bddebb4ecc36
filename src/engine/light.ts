// A small engine client over node:http for the lifecycle verbs (up, down, stop, start, ps...). Loading
// dockerode costs 0.2-0.4 s of CLI start-up here (it pulls in gRPC and ssh2 at import), which is a large part
// of a no-op `up` or a `down`. The lifecycle needs a dozen plain REST calls, so they go straight to the
// engine's socket; dockerode stays the client for everything else (builds, pulls, exec, logs) and for remote
// engines. Errors carry `statusCode` and `json` like dockerode's, so callers handle both the same way.
import { type IncomingMessage, request } from 'node:http';
import type Docker from 'dockerode';
import { engineUnreachable } from '../errors.js';

/** The engine calls observe() and image resolution need; dockerode satisfies it too. */
export type EngineReader = Pick<Docker, 'listContainers' | 'listNetworks' | 'listVolumes'> & {
  getImage(ref: string): { inspect(): Promise<Docker.ImageInspectInfo> };
};

/** The local socket from DOCKER_HOST (unix:// only), or undefined when the engine is elsewhere. */
export function localSocket(env = process.env): string | undefined {
  const host = env.DOCKER_HOST;
  if (!host) return '/var/run/docker.sock';
  if (host.startsWith('unix://')) return host.slice('unix://'.length);
  return undefined;
}

export class EngineHttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly json: { message?: string } | undefined,
  ) {
    super(`(HTTP code ${statusCode}) ${json?.message ?? ''}`.trim());
  }
}

type Query = Record<string, string | number | boolean | undefined>;

const qs = (o: Query | undefined) => {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(o ?? {})) if (v !== undefined) q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
};

const seg = (s: string) => s.split('/').map(encodeURIComponent).join('/');

class Http {
  constructor(private readonly socketPath: string) {}

  /** Open a request; resolves with the response once its headers arrive (errors for status >= 400). */
  open(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<IncomingMessage> {
    return new Promise((resolve, reject) => {
      // a Buffer goes as it is (a tar for the archive endpoint); anything else as JSON
      const raw = Buffer.isBuffer(body);
      const payload = body === undefined ? undefined : raw ? body : Buffer.from(JSON.stringify(body));
      const req = request(
        {
          socketPath: this.socketPath,
          path,
          method,
          headers: {
            host: 'docker',
            ...(payload
              ? {
                  'content-type': raw ? 'application/x-tar' : 'application/json',
                  'content-length': payload.length,
                }
              : {}),
          },
          signal,
        },
        (res) => {
          const status = res.statusCode ?? 500;
          if (status < 300) return resolve(res);
          readAll(res).then((buf) => {
            const text = buf.toString('utf8');
            let json: { message?: string } | undefined;
            try {
              json = text ? JSON.parse(text) : undefined;
            } catch {
              json = { message: text.trim() };
            }
            reject(new EngineHttpError(status, json));
          }, reject);
        },
      );
      req.on('error', (err: NodeJS.ErrnoException) => {
        const unreachable = err.code === 'ECONNREFUSED' || err.code === 'ENOENT' || err.code === 'EACCES';
        reject(unreachable ? engineUnreachable(err.code!) : err);
      });
      req.end(payload);
    });
  }

  async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const buf = await readAll(await this.open(method, path, body));
    if (!buf.length) return undefined as T;
    const text = buf.toString('utf8');
    try {
      return JSON.parse(text) as T;
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

/** The part of dockerode's object model the lifecycle uses, with the same method names and shapes. */
export function lightEngine(socketPath: string) {
  const http = new Http(socketPath);
  const container = (id: string) => ({
    id,
    start: () => http.call('POST', `/containers/${seg(id)}/start`),
    stop: (o: { t?: number } = {}) => http.call('POST', `/containers/${seg(id)}/stop${qs({ t: o.t })}`),
    restart: (o: { t?: number } = {}) => http.call('POST', `/containers/${seg(id)}/restart${qs({ t: o.t })}`),
    remove: (o: { v?: boolean; force?: boolean } = {}) =>
      http.call('DELETE', `/containers/${seg(id)}${qs({ v: o.v, force: o.force })}`),
    rename: (o: { name: string }) =>
      http.call('POST', `/containers/${seg(id)}/rename${qs({ name: o.name })}`),
    inspect: () => http.call<Docker.ContainerInspectInfo>('GET', `/containers/${seg(id)}/json`),
    putArchive: (tar: Buffer, o: { path: string }) =>
      http.call('PUT', `/containers/${seg(id)}/archive${qs({ path: o.path })}`, tar),
    exec: async (o: Docker.ExecCreateOptions) => {
      const { Id } = await http.call<{ Id: string }>('POST', `/containers/${seg(id)}/exec`, o);
      return {
        start: (s: { Detach?: boolean }) => http.call('POST', `/exec/${seg(Id)}/start`, s),
        inspect: () => http.call<Docker.ExecInspectInfo>('GET', `/exec/${seg(Id)}/json`),
      };
    },
    logs: async (o: { stdout?: boolean; stderr?: boolean; tail?: number; follow?: boolean }) =>
      readAll(
        await http.open(
          'GET',
          `/containers/${seg(id)}/logs${qs({ stdout: o.stdout, stderr: o.stderr, tail: o.tail, follow: false })}`,
        ),
      ),
  });
  return {
    listContainers: (o: { all?: boolean; filters?: string } = {}) =>
      http.call<Docker.ContainerInfo[]>('GET', `/containers/json${qs({ all: o.all, filters: o.filters })}`),
    listNetworks: (o: { filters?: string } = {}) =>
      http.call<Docker.NetworkInspectInfo[]>('GET', `/networks${qs({ filters: o.filters })}`),
    listVolumes: (o: { filters?: string } = {}) =>
      http.call<{ Volumes: Docker.VolumeInspectInfo[]; Warnings: string[] }>(
        'GET',
        `/volumes${qs({ filters: o.filters })}`,
      ),
    getImage: (ref: string) => ({
      inspect: () => http.call<Docker.ImageInspectInfo>('GET', `/images/${seg(ref)}/json`),
    }),
    createContainer: async (opts: Docker.ContainerCreateOptions) => {
      const { name, ...body } = opts;
      const res = await http.call<{ Id: string }>('POST', `/containers/create${qs({ name })}`, body);
      return container(res.Id);
    },
    getContainer: container,
    version: () => http.call<Docker.DockerVersion>('GET', '/version'),
    createNetwork: (opts: Docker.NetworkCreateOptions) => http.call('POST', '/networks/create', opts),
    getNetwork: (id: string) => ({
      connect: (o: { Container: string; EndpointConfig?: unknown }) =>
        http.call('POST', `/networks/${seg(id)}/connect`, o),
      remove: () => http.call('DELETE', `/networks/${seg(id)}`),
    }),
    createVolume: (opts: Docker.VolumeCreateOptions) => http.call('POST', '/volumes/create', opts),
    getVolume: (name: string) => ({
      remove: () => http.call('DELETE', `/volumes/${seg(name)}`),
    }),
    getEvents: (o: { filters?: string; abortSignal?: AbortSignal } = {}) =>
      http.open('GET', `/events${qs({ filters: o.filters })}`, undefined, o.abortSignal),
  };
}

/** The light reader for the local socket, or the full client when the engine is remote. */
export async function engineReader(): Promise<EngineReader> {
  return (await lifecycleEngine()) as EngineReader;
}

/**
 * The client for lifecycle verbs: the light one on a local socket (typed as dockerode, whose shape it keeps
 * for every call the lifecycle makes), dockerode itself for a remote engine.
 */
export async function lifecycleEngine(): Promise<Docker> {
  const sock = localSocket();
  if (sock) return lightEngine(sock) as unknown as Docker;
  const { connectEngine } = await import('./client.js');
  return connectEngine();
}
