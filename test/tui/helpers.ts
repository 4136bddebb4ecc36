import { readFileSync } from 'node:fs';
import { parseContainerEvent } from '../../src/engine/event-decode.js';
import type { ContainerEvent } from '../../src/model/index.js';
import type { LogLine } from '../../src/logs/types.js';

/** Events recorded from a real engine (`docker events --format '{{json .}}'`) while a small stack went
 *  through create, start, a health check, `docker restart app-1`, `docker stop db-1` and removal. */
export function recordedEvents(): ContainerEvent[] {
  return readFileSync(new URL('./fixtures/shop-events.jsonl', import.meta.url), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => parseContainerEvent(l))
    .filter((e): e is ContainerEvent => e !== undefined);
}

/** Index just past the first event matching. */
export const untilEvent = (events: ContainerEvent[], action: string, name: string) =>
  events.findIndex((e) => e.action === action && e.name === name) + 1;

export const tick = (ms = 60) => new Promise((r) => setTimeout(r, ms));

export const logLine = (
  service: string,
  replica: number,
  text: string,
  stream: 'stdout' | 'stderr' = 'stdout',
): LogLine => ({
  container: `${service}-${replica}`,
  service,
  replica,
  stream,
  ts: '',
  text,
});

export const KEY = { up: '\u001b[A', down: '\u001b[B', enter: '\r', escape: '\u001b', backspace: '\u007f' };

/** Give ink-testing-library's fake stdout a size and tell the app it changed, as a terminal resize does. */
export function resize(stdout: NodeJS.EventEmitter, columns: number, rows: number): void {
  Object.defineProperty(stdout, 'columns', { value: columns, configurable: true });
  Object.defineProperty(stdout, 'rows', { value: rows, configurable: true });
  stdout.emit('resize');
}
