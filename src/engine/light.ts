// A small read-only engine client over node:http, for the hot path of `up` and `ps`: listing a project's
// containers, networks and volumes and inspecting images. Loading dockerode costs ~0.2-0.4 s of CLI start-up
// (it pulls in gRPC and ssh2); a no-op `up` should cost little more than its engine calls, so the read side
// uses this, and dockerode is loaded only when there is something to change.
import { request } from 'node:http';
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

class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly json: { message?: string } | undefined,
  ) {
    super(`(HTTP code ${statusCode}) ${json?.message ?? ''}`);
  }
}

function get<T>(socketPath: string, path: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, path, method: 'GET', headers: { host: 'docker' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown;
        try {
          body = text ? JSON.parse(text) : undefined;
        } catch {
          body = { message: text };
        }
        if ((res.statusCode ?? 500) >= 400)
          reject(new HttpError(res.statusCode ?? 500, body as { message?: string }));
        else resolve(body as T);
      });
      res.on('error', reject);
    });
    req.on('error', (err: NodeJS.ErrnoException) => {
      reject(
        err.code === 'ECONNREFUSED' || err.code === 'ENOENT' || err.code === 'EACCES'
          ? engineUnreachable(err.code)
          : err,
      );
    });
    req.end();
  });
}

const query = (o: Record<string, unknown> | undefined) => {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(o ?? {}))
    if (v !== undefined) q.set(k, typeof v === 'string' ? v : JSON.stringify(v));
  const s = q.toString();
  return s ? `?${s}` : '';
};

export function lightEngine(socketPath: string): EngineReader {
  return {
    listContainers: ((opts?: { all?: boolean; filters?: string }) =>
      get(
        socketPath,
        `/containers/json${query({ all: opts?.all ? 'true' : undefined, filters: opts?.filters })}`,
      )) as EngineReader['listContainers'],
    listNetworks: ((opts?: { filters?: string }) =>
      get(socketPath, `/networks${query({ filters: opts?.filters })}`)) as EngineReader['listNetworks'],
    listVolumes: ((opts?: { filters?: string }) =>
      get(socketPath, `/volumes${query({ filters: opts?.filters })}`)) as EngineReader['listVolumes'],
    getImage: (ref: string) => ({
      inspect: () =>
        get<Docker.ImageInspectInfo>(
          socketPath,
          `/images/${ref.split('/').map(encodeURIComponent).join('/')}/json`,
        ),
    }),
  };
}

/** The light reader for the local socket, or the full client when the engine is remote. */
export async function engineReader(): Promise<EngineReader> {
  const sock = localSocket();
  if (sock) return lightEngine(sock);
  const { connectEngine } = await import('./client.js');
  return connectEngine();
}
