import { readFileSync } from 'node:fs';
import { parseContainerEvent } from '../../src/engine/event-decode.js';
import type { ContainerEvent } from '../../src/model/index.js';
import type { LogLine } from '../../src/logs/types.js';
import { vi } from 'vitest';

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

interface Rendered {
  lastFrame(): string | undefined;
  frames: string[];
}

/**
 * The first frame that satisfies `pred`, polled until `timeout`: a render takes what it takes on a loaded
 * machine, so tests wait for the frame they expect rather than a fixed time. A timeout names what was awaited
 * and shows the last frame.
 */
export async function waitForFrame(
  r: Rendered,
  pred: (frame: string) => boolean,
  what = pred.toString(),
  timeout = 10_000,
): Promise<string> {
  return vi.waitFor(
    () => {
      const f = r.lastFrame() ?? '';
      if (!pred(f)) throw new Error(`timed out waiting for ${what}; the last frame:\n${f}`);
      return f;
    },
    { timeout, interval: 5 },
  );
}

/** Wait for a frame containing every string given. */
export const waitForText = (r: Rendered, ...texts: string[]) =>
  waitForFrame(
    r,
    (f) => texts.every((t) => f.includes(t)),
    texts.map((t) => JSON.stringify(t)).join(' and '),
  );

/**
 * The next frame rendered from now. The App renders from the store's current state, so this frame shows
 * every change made before the call: what lets a test check that something is *not* shown.
 */
export async function nextFrame(r: Rendered, timeout = 10_000): Promise<string> {
  const seen = r.frames.length;
  await vi.waitFor(
    () => {
      if (r.frames.length <= seen) throw new Error('timed out waiting for a new frame');
    },
    { timeout, interval: 5 },
  );
  return r.lastFrame() ?? '';
}

export const logLine = (
  service: string,
  replica: number,
  text: string,
  stream: 'stdout' | 'stderr' = 'stdout',
  ts = '',
): LogLine => ({
  container: `${service}-${replica}`,
  service,
  replica,
  stream,
  ts,
  text,
});

/** An engine timestamp (RFC 3339, nanoseconds, UTC) `seconds` after a fixed moment. */
export const stamp = (seconds: number) =>
  `2026-11-30T05:00:${String(Math.floor(seconds)).padStart(2, '0')}.${String(Math.round((seconds % 1) * 1e9)).padStart(9, '0')}Z`;

export const KEY = { up: '\u001b[A', down: '\u001b[B', enter: '\r', escape: '\u001b', backspace: '\u007f' };

/**
 * Ink starts reading keys in an effect after the first render; a key written before that is lost. Resolves
 * once the app listens.
 */
export const inputReady = (stdin: NodeJS.EventEmitter) =>
  vi.waitFor(
    () => {
      if (stdin.listenerCount('readable') === 0) throw new Error('the app never started reading keys');
    },
    { timeout: 10_000, interval: 5 },
  );

/** Give ink-testing-library's fake stdout a size and tell the app it changed, as a terminal resize does. */
export function resize(stdout: NodeJS.EventEmitter, columns: number, rows: number): void {
  Object.defineProperty(stdout, 'columns', { value: columns, configurable: true });
  Object.defineProperty(stdout, 'rows', { value: rows, configurable: true });
  stdout.emit('resize');
}
