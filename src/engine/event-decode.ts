// The engine's event stream, one JSON line at a time, into berth's ContainerEvent.
import { type ContainerEvent, Label } from '../model/index.js';

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
