// Log streams and the containers they come from, selected by project label: berth reads logs only of what
// it created.
import type Docker from 'dockerode';
import type { LogTarget } from '../logs/types.js';
import { Label, projectFilter } from './labels.js';

/** Every container of the project (running or not), one-off `berth run` containers left out. */
export async function listLogTargets(docker: Docker, project: string): Promise<LogTarget[]> {
  const list = await docker.listContainers({ all: true, filters: projectFilter(project) });
  const targets = await Promise.all(
    list
      .filter((c) => c.Labels?.[Label.oneoff] === undefined && c.Labels?.[Label.service])
      .map((c) => inspectLogTarget(docker, c.Id)),
  );
  return targets
    .filter((t): t is LogTarget => t !== undefined)
    .sort((a, b) => a.service.localeCompare(b.service) || a.replica - b.replica);
}

/** One container as a log target; undefined when it is gone or not one of the project's services. */
export async function inspectLogTarget(docker: Docker, id: string): Promise<LogTarget | undefined> {
  try {
    const info = await docker.getContainer(id).inspect();
    const labels = info.Config?.Labels ?? {};
    const service = labels[Label.service];
    if (!service || labels[Label.oneoff] !== undefined) return undefined;
    return {
      id: info.Id,
      name: info.Name.replace(/^\//, ''),
      service,
      replica: Number(labels[Label.replica] ?? 1) || 1,
      tty: Boolean(info.Config?.Tty),
      running: Boolean(info.State?.Running),
    };
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) return undefined;
    throw err;
  }
}

export interface LogStreamOptions {
  follow: boolean;
  /** Unix seconds (fraction allowed), as the engine takes them. */
  since?: string;
  until?: string;
  tail?: number | 'all';
  timestamps: boolean;
  signal?: AbortSignal;
}

/**
 * The container's log stream as raw bytes (multiplexed unless the container has a TTY). Always a stream,
 * also without `follow`, so a long history is never read into one buffer. Works with dockerode and with the
 * light client (src/engine/light.ts), which berth logs and berth ui use on a local socket: it spares them
 * loading dockerode (gRPC, ssh2), a quarter of a second of start-up and ~25 MB of resident memory.
 */
export function openLogStream(
  docker: Docker,
  id: string,
  o: LogStreamOptions,
): Promise<NodeJS.ReadableStream> {
  const options: Record<string, string> = {
    follow: String(o.follow),
    stdout: 'true',
    stderr: 'true',
    timestamps: String(o.timestamps),
    tail: o.tail === undefined ? 'all' : String(o.tail),
  };
  if (o.since !== undefined) options.since = o.since;
  if (o.until !== undefined) options.until = o.until;
  const modem = (docker as Partial<Docker>).modem;
  if (!modem)
    return socketGet(`/containers/${encodeURIComponent(id)}/logs?${new URLSearchParams(options)}`, o.signal);
  return new Promise((resolve, reject) => {
    modem.dial(
      {
        path: `/containers/${id}/logs?`,
        method: 'GET',
        isStream: true,
        abortSignal: o.signal,
        statusCodes: { 200: true, 404: 'no such container', 500: 'server error' },
        options,
      } as Parameters<typeof modem.dial>[0],
      (err: unknown, stream: unknown) => (err ? reject(err) : resolve(stream as NodeJS.ReadableStream)),
    );
  });
}

/** A streamed GET on the local engine socket (the light client has no streaming logs call). */
async function socketGet(path: string, signal?: AbortSignal): Promise<NodeJS.ReadableStream> {
  const [{ request }, { localSocket }] = await Promise.all([import('node:http'), import('./light.js')]);
  return new Promise((resolve, reject) => {
    const req = request(
      { socketPath: localSocket(), path, method: 'GET', headers: { host: 'docker' }, signal },
      (res) => {
        if ((res.statusCode ?? 500) < 300) return resolve(res);
        res.resume();
        reject(
          Object.assign(new Error(`engine answered ${res.statusCode} for ${path}`), {
            statusCode: res.statusCode,
          }),
        );
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** "docker 24.0.5": the engine's version for the UI's header. */
export async function engineVersion(docker: Docker): Promise<string> {
  try {
    if ((docker as Partial<Docker>).version) return `docker ${(await docker.version()).Version}`;
    const res = await socketGet('/version');
    const chunks: Buffer[] = [];
    for await (const c of res as AsyncIterable<Buffer>) chunks.push(c);
    return `docker ${(JSON.parse(Buffer.concat(chunks).toString('utf8')) as { Version: string }).Version}`;
  } catch {
    return 'docker ?';
  }
}

/** The client berth logs and berth ui use: light on the local socket, dockerode for a remote engine. */
export async function logsEngine(): Promise<Docker> {
  const { lifecycleEngine } = await import('./light.js');
  return lifecycleEngine();
}
