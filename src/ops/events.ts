// `events`: the project's container events as they happen, until the signal aborts, in Compose's JSON shape.
import { isOneOff, projectSelector } from '../model/index.js';
import type { ContainerEvent } from '../model/index.js';
import type { OpContext } from './context.js';
import type { Target } from './select.js';

/** One event as `docker compose events --json` prints it. */
export interface ComposeEvent {
  time: string;
  type: 'container';
  action: string;
  id: string;
  service: string;
  attributes: Record<string, string>;
}

/** The engine's nanosecond time as Compose prints it: ISO 8601 with microseconds, in UTC, no zone. */
export function eventTime(timeNano: bigint): string {
  const ms = Number(timeNano / 1_000_000n);
  const micros = String((timeNano / 1000n) % 1_000_000n).padStart(6, '0');
  return `${new Date(ms).toISOString().slice(0, 19)}.${micros}`;
}

export function composeEvent(e: ContainerEvent): ComposeEvent {
  return {
    time: eventTime(e.timeNano),
    type: 'container',
    action: e.action,
    id: e.id,
    service: e.service ?? '',
    attributes: e.attributes,
  };
}

/** Follow events until `ctx.signal` aborts (or the engine ends the stream). */
export async function events(
  ctx: OpContext,
  target: Target,
  opts: { services?: string[]; onEvent: (e: ComposeEvent) => void },
): Promise<void> {
  const watch = await ctx.engine.watchContainerEvents({ labels: [projectSelector(target.project)] }, (e) => {
    if (isOneOff(e.attributes)) return;
    if (opts.services?.length && !opts.services.includes(e.service ?? '')) return;
    opts.onEvent(composeEvent(e));
  });
  const stop = () => watch.close();
  if (ctx.signal?.aborted) stop();
  ctx.signal?.addEventListener('abort', stop, { once: true });
  try {
    await watch.done;
  } finally {
    ctx.signal?.removeEventListener('abort', stop);
  }
}
