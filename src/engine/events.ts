// The engine's event stream, for one project's containers: how the log feed notices recreated and restarted
// containers, and how the UI stays live without polling.
import type Docker from 'dockerode';
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
  const ac = new AbortController();
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
