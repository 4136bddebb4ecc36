// The same DockerApi over dockerode, for engines that are not a local socket (tcp with TLS, ssh): dockerode's
// modem knows those transports. Every error is mapped to EngineError here, once.
import type { Readable } from 'node:stream';
import type Docker from 'dockerode';
import type { ContainerApi, DockerApi, Query } from './docker-api.js';
import { EngineError, engineErrorOfStatus } from './errors.js';

/** Map whatever dockerode (docker-modem) throws to an EngineError. */
export function fromDockerode(err: unknown, endpoint: string): unknown {
  if (err instanceof EngineError) return err;
  const e = err as {
    statusCode?: number;
    json?: { message?: string } | null;
    reason?: string;
    code?: string;
    message?: string;
    name?: string;
  };
  if (e?.name === 'AbortError') return err;
  if (typeof e?.statusCode === 'number')
    return engineErrorOfStatus(e.statusCode, e.json?.message ?? e.reason ?? e.message ?? '');
  const code = e?.code ?? '';
  if (
    code === 'ECONNREFUSED' ||
    code === 'ENOENT' ||
    code === 'EACCES' ||
    code === 'EHOSTUNREACH' ||
    code === 'ENOTFOUND'
  )
    return new EngineError('unreachable', `${code} on ${endpoint}`);
  if (code === 'ETIMEDOUT' || /timeout/i.test(e?.message ?? ''))
    return new EngineError('timeout', `no answer from ${endpoint}`);
  return new EngineError('failed', e?.message ?? String(err));
}

export function dockerodeApi(d: Docker, endpoint: string): DockerApi {
  const wrap = <T>(p: Promise<T>): Promise<T> =>
    p.catch((err) => {
      throw fromDockerode(err, endpoint);
    });
  const container = (id: string): ContainerApi => {
    const c = d.getContainer(id);
    return {
      id,
      start: () => wrap(c.start()),
      stop: (o = {}) => wrap(c.stop(o)),
      restart: (o = {}) => wrap(c.restart(o)),
      kill: (o = {}) => wrap(c.kill(o)),
      pause: () => wrap(c.pause()),
      unpause: () => wrap(c.unpause()),
      remove: (o = {}) => wrap(c.remove(o)),
      rename: (o) => wrap(c.rename(o)),
      inspect: () => wrap(c.inspect()),
      exec: async (o) => {
        const ex = await wrap(c.exec(o));
        return {
          start: (s) => wrap(ex.start(s) as Promise<unknown>),
          inspect: () => wrap(ex.inspect()),
        };
      },
      putArchive: (tar, o) => wrap(c.putArchive(tar, o) as Promise<unknown>),
      changes: () => wrap(c.changes() as Promise<Array<{ Path: string; Kind: number }> | null>),
      top: (o) => wrap(c.top(o) as Promise<{ Titles: string[]; Processes: string[][] | null }>),
      wait: (signal) =>
        wrap(
          c.wait({ condition: 'not-running', abortSignal: signal } as never) as unknown as Promise<{
            StatusCode: number;
          }>,
        ),
    };
  };
  const stream = (path: string, query: Query, signal?: AbortSignal) =>
    wrap(
      new Promise<Readable>((resolve, reject) => {
        d.modem.dial(
          {
            path: `${path}?`,
            method: 'GET',
            isStream: true,
            abortSignal: signal,
            statusCodes: { 200: true, 304: true, 404: 'not found', 500: 'server error' },
            options: Object.fromEntries(Object.entries(query).filter(([, v]) => v !== undefined)),
          } as Parameters<typeof d.modem.dial>[0],
          (err: unknown, s: unknown) => (err ? reject(err) : resolve(s as Readable)),
        );
      }),
    );
  const request = <T>(method: string, path: string, o: { query?: Query; body?: unknown } = {}) =>
    wrap(
      new Promise<T>((resolve, reject) => {
        const query = Object.fromEntries(Object.entries(o.query ?? {}).filter(([, v]) => v !== undefined));
        d.modem.dial(
          {
            path: `${path}?`,
            method,
            options: o.body === undefined ? query : { _query: query, _body: o.body },
            statusCodes: {
              200: true,
              201: true,
              204: true,
              304: true,
              400: 'bad request',
              404: 'not found',
              409: 'conflict',
              500: 'server error',
              503: 'node is not part of a swarm',
            },
          } as Parameters<typeof d.modem.dial>[0],
          (err: unknown, data: unknown) => (err ? reject(err) : resolve(data as T)),
        );
      }),
    );
  return {
    endpoint,
    request,
    ping: () => wrap(d.ping()).then(() => undefined),
    version: () => wrap(d.version()),
    info: () => wrap(d.info()),
    listContainers: (o) => wrap(d.listContainers(o)),
    listNetworks: (o) => wrap(d.listNetworks(o)),
    listVolumes: (o) => wrap(d.listVolumes(o) as Promise<{ Volumes: Docker.VolumeInspectInfo[] | null }>),
    listImages: (o) => wrap(d.listImages(o)),
    inspectImage: (ref) => wrap(d.getImage(ref).inspect()),
    removeImage: (ref) => wrap(d.getImage(ref).remove()),
    tagImage: (id, o) => wrap(d.getImage(id).tag(o)),
    createContainer: async (o) => ({ id: (await wrap(d.createContainer(o))).id }),
    getContainer: container,
    createNetwork: (o) => wrap(d.createNetwork(o)),
    connectNetwork: (id, o) => wrap(d.getNetwork(id).connect(o)),
    disconnectNetwork: (id, o) => wrap(d.getNetwork(id).disconnect(o)),
    removeNetwork: (id) => wrap(d.getNetwork(id).remove()),
    createVolume: (o) => wrap(d.createVolume(o)),
    removeVolume: (name) => wrap(d.getVolume(name).remove()),
    importImage: async (tar, ref) => {
      const { Readable } = await import('node:stream');
      const out = await wrap(d.importImage(Readable.from([tar]), { repo: ref }));
      await new Promise((resolve, reject) =>
        d.modem.followProgress(out, (err: Error | null) => (err ? reject(err) : resolve(undefined))),
      );
    },
    stream,
  };
}
