// The plain renderer: one line per finished step, as `docker compose up -d` prints when not on a terminal
// (`✔ Container demo-db-1  Started  0.4s`). Colour only on a terminal and without NO_COLOR.
import type { RunEvent } from './events.js';

export interface RenderOptions {
  color: boolean;
  write?: (s: string) => void;
  /** Also print in-progress steps (Creating, Starting, Waiting). */
  verbose?: boolean;
}

const paint = (on: boolean, code: number, s: string) => (on ? `\x1b[${code}m${s}\x1b[0m` : s);

export function formatEvent(e: RunEvent, color: boolean, verbose = false): string | undefined {
  switch (e.type) {
    case 'progress': {
      if (!e.done && !verbose) return undefined;
      const err = e.status === 'Error';
      const mark = err ? paint(color, 31, '✘') : e.done ? paint(color, 32, '✔') : paint(color, 33, '⠿');
      const time = e.elapsedMs === undefined ? '' : `  ${(e.elapsedMs / 1000).toFixed(1)}s`;
      const detail = e.detail && !err ? `  (${e.detail})` : '';
      return `${mark} ${e.kind} ${e.name}  ${err ? paint(color, 31, 'Error') : e.status}${time}${detail}`;
    }
    case 'failure': {
      const lines = [`${paint(color, 31, '✘')} ${e.message}`];
      if (e.logs.length) {
        lines.push(`  last log lines of ${e.container ?? e.service}:`);
        for (const l of e.logs) lines.push(`    ${l}`);
      }
      return lines.join('\n');
    }
    case 'skipped':
      return `${paint(color, 33, '-')} Service ${e.service}  not started: ${e.reason}`;
    case 'warning':
      return `${paint(color, 33, '!')} ${e.message}`;
    case 'image':
      return `  Image ${e.service}  ${e.message}`;
  }
}

export function plainRenderer(opts: RenderOptions): (e: RunEvent) => void {
  const write = opts.write ?? ((s: string) => process.stdout.write(s));
  return (e) => {
    const line = formatEvent(e, opts.color, opts.verbose);
    if (line !== undefined) write(`${line}\n`);
  };
}

/**
 * The terminal renderer: one live line per resource, rewritten in place as it moves on (`⠿ ... Starting` →
 * `✔ ... Started 0.4s`), as `docker compose up -d` shows on a terminal. Messages (failures, warnings) print
 * above the live block, which is redrawn below them.
 */
export function ttyRenderer(
  opts: RenderOptions & { errWrite?: (s: string) => void; rows?: number },
): (e: RunEvent) => void {
  const write = opts.write ?? ((s: string) => process.stdout.write(s));
  const rows = opts.rows ?? process.stdout.rows ?? 24;
  const plain = plainRenderer(opts);
  const lines = new Map<string, string>();
  // A block taller than the screen cannot be rewritten in place: then it goes on as plain lines.
  let overflow = false;
  let drawn = 0;
  const clear = () => {
    if (drawn > 0) write(`\x1b[${drawn}A\x1b[0J`);
    drawn = 0;
  };
  const draw = () => {
    const block = [...lines.values()];
    if (block.length) write(`${block.join('\n')}\n`);
    drawn = block.length;
  };
  return (e) => {
    if (overflow) {
      if (e.type === 'progress') plain(e);
      else (opts.errWrite ?? write)(`${formatEvent(e, opts.color) ?? ''}\n`);
      return;
    }
    if (e.type === 'progress') {
      if (!lines.has(`${e.kind}:${e.name}`) && lines.size + 1 >= rows - 1) {
        overflow = true;
        plain(e);
        return;
      }
      const line = formatEvent({ ...e }, opts.color, true);
      if (line === undefined) return;
      lines.set(`${e.kind}:${e.name}`, line);
      clear();
      draw();
      return;
    }
    const text = formatEvent(e, opts.color);
    if (text === undefined) return;
    clear();
    (opts.errWrite ?? write)(`${text}\n`);
    draw();
  };
}
