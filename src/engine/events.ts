// The engine's event stream, for one project's containers: how the log feed notices recreated and restarted
// containers, and how the UI stays live without polling.
import type Docker from 'dockerode';
import { runAbortController } from '../abort.js';
import { Label } from './labels.js';

export interface ContainerEvent {
  /** Engine action: create, start, restart, die, stop, kill, destroy, rename, pause, unpause, oom,
   *  `health_status: healthy` / `unhealthy` / `starting`. */
  action: string;
  id: string;
  /** Container name (without a leading slash). */
  name: string;
  service?: string;
  replica?: number;
  /** Nanoseconds since the epoch. */
  timeNano: bigint;
  attributes: Record<string, string>;
}

export interface EventWatch {
  /** Resolves when the watch is closed or the engine ends the stream. */
  done: Promise<void>;
  close(): void;
}

interface RawEvent {
  Type?: string;
  Action?: string;
  status?: string;
  id?: string;
  Actor?: { ID?: string; Attributes?: Record<string, string> };
  time?: number;
  timeNano?: number | string;
}

/** Parse one JSON line of the engine's event stream; undefined for anything but a container event. */
export function parseContainerEvent(line: string): ContainerEvent | undefined {
  let raw: RawEvent;
  try {
    raw = JSON.parse(line) as RawEvent;
  } catch {
    return undefined;
  }
  if (raw.Type !== undefined && raw.Type !== 'container') return undefined;
  const action = raw.Action ?? raw.status ?? '';
  // exec_* events (health checks run one every interval) would only add noise.
  if (!action || action.startsWith('exec_')) return undefined;
  const attributes = raw.Actor?.Attributes ?? {};
  const replica = attributes[Label.replica];
  return {
    action,
    id: raw.Actor?.ID ?? raw.id ?? '',
    name: attributes.name ?? '',
    service: attributes[Label.service],
    replica: replica === undefined ? undefined : Number(replica),
    timeNano: BigInt(raw.timeNano ?? (raw.time ?? 0) * 1e9),
    attributes,
  };
}

/**
 * Watch the project's container events until `close()`. The returned promise resolves once the engine has
 * accepted the subscription, so a caller that lists containers afterwards misses nothing in between.
 */
export async function watchContainerEvents(
  docker: Docker,
  project: string,
  onEvent: (e: ContainerEvent) => void,
): Promise<EventWatch> {
  const ac = runAbortController();
  const stream = (await docker.getEvents({
    filters: JSON.stringify({ type: ['container'], label: [`${Label.project}=${project}`] }),
    abortSignal: ac.signal,
  } as Parameters<Docker['getEvents']>[0])) as NodeJS.ReadableStream;
  let rest = '';
  const done = new Promise<void>((resolve) => {
    stream.on('data', (chunk: Buffer) => {
      rest += chunk.toString('utf8');
      let nl = rest.indexOf('\n');
      while (nl >= 0) {
        const ev = parseContainerEvent(rest.slice(0, nl));
        rest = rest.slice(nl + 1);
        if (ev) onEvent(ev);
        nl = rest.indexOf('\n');
      }
    });
    stream.on('end', () => resolve());
    stream.on('close', () => resolve());
    stream.on('error', () => resolve());
  });
  return {
    done,
    close: () => {
      ac.abort();
      (stream as unknown as { destroy?: () => void }).destroy?.();
    },
  };
}

export interface ContainerFacts {
  id: string;
  name: string;
  service: string;
  replica: number;
  /** created, running, paused, restarting, exited, dead, removing (or `stopping`, seen from events) */
  state: string;
  health?: string;
  /** ms since the epoch of the latest start. */
  startedAt?: number;
  restarts: number;
  image: string;
  ports: Array<{ hostIp: string; hostPort: number; target: number; protocol: string }>;
  /** Has been started at least once (so the next start counts as a restart). */
  started?: boolean;
}

/** What a container looks like now, for the UI after an event (ports and start time are not in events). */
export async function inspectContainerFacts(docker: Docker, id: string): Promise<ContainerFacts | undefined> {
  let info: Docker.ContainerInspectInfo;
  try {
    info = await docker.getContainer(id).inspect();
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) return undefined;
    throw err;
  }
  const labels = info.Config?.Labels ?? {};
  const service = labels[Label.service];
  if (!service || labels[Label.oneoff] !== undefined) return undefined;
  const started =
    info.State?.StartedAt && !info.State.StartedAt.startsWith('0001')
      ? Date.parse(info.State.StartedAt)
      : undefined;
  const ports: ContainerFacts['ports'] = [];
  for (const [key, bindings] of Object.entries(info.NetworkSettings?.Ports ?? {})) {
    const [target, protocol] = key.split('/');
    for (const b of bindings ?? []) {
      if (b.HostPort)
        ports.push({
          hostIp: b.HostIp,
          hostPort: Number(b.HostPort),
          target: Number(target),
          protocol: protocol ?? 'tcp',
        });
    }
  }
  const health = info.State?.Health?.Status;
  return {
    id: info.Id,
    name: info.Name.replace(/^\//, ''),
    service,
    replica: Number(labels[Label.replica] ?? 1) || 1,
    state: info.State?.Restarting ? 'restarting' : (info.State?.Status ?? 'created'),
    health: health && health !== 'none' ? health : undefined,
    startedAt: info.State?.Running ? started : undefined,
    restarts: info.RestartCount ?? 0,
    image: info.Config?.Image ?? '',
    ports,
    started: started !== undefined,
  };
}
