// Turning the engine's pull messages into what a person reads: without a terminal, one line each time a layer
// changes step (never one per byte count); on a terminal, one summary line per image, redrawn in place.
import type { PullEvent } from '../engine/port.js';

interface Layer {
  status: string;
  current?: number;
  total?: number;
}

const LAYER_DONE = new Set(['Pull complete', 'Already exists', 'Download complete']);

export function formatBytes(n: number): string {
  if (n < 1000) return `${n} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let v = n;
  let i = -1;
  do {
    v /= 1000;
    i++;
  } while (v >= 1000 && i < units.length - 1);
  return `${v.toFixed(1)} ${units[i]}`;
}

/** Progress of one image's pull, fed with the engine's messages in order. */
export class PullTracker {
  private readonly layers = new Map<string, Layer>();
  private last = 'waiting';

  /** A plain line worth printing for this message, if any (a layer's new step, or an image-level message). */
  apply(e: PullEvent): string | undefined {
    if (e.error) return undefined; // reported once as the pull's failure
    const status = e.status?.trim();
    if (!status) return undefined;
    // layer IDs are 12 hex digits; anything else in `id` (the tag, in "Pulling from") is about the image
    if (!e.id || !/^[0-9a-f]{12}$/.test(e.id)) {
      this.last = status;
      return e.id && !status.includes(e.id) ? `${status} (${e.id})` : status;
    }
    const prev = this.layers.get(e.id);
    const layer: Layer = {
      status,
      current: e.progressDetail?.current,
      total: e.progressDetail?.total ?? prev?.total,
    };
    this.layers.set(e.id, layer);
    if (prev?.status === status) return undefined;
    // the size once, when the download starts; later steps of the same layer need not repeat it
    const size = status === 'Downloading' && layer.total ? ` (${formatBytes(layer.total)})` : '';
    return `${e.id}: ${status}${size}`;
  }

  /** One line for a terminal: step, layers done, bytes downloaded. */
  summary(): string {
    if (this.layers.size === 0) return this.last;
    let done = 0;
    let current = 0;
    let total = 0;
    let step = '';
    for (const l of this.layers.values()) {
      if (LAYER_DONE.has(l.status) && l.status !== 'Download complete') done++;
      if (l.total) {
        total += l.total;
        current += LAYER_DONE.has(l.status) || l.status === 'Extracting' ? l.total : (l.current ?? 0);
      }
      if (l.status === 'Downloading' || l.status === 'Extracting') step ||= l.status;
    }
    if (done === this.layers.size) return this.last;
    const bytes = total ? ` ${formatBytes(current)}/${formatBytes(total)}` : '';
    return `${step || 'Pulling'} ${done}/${this.layers.size} layers${bytes}`;
  }
}

/** Redraws a block of lines (one per key) in place on a terminal, at most every `intervalMs`. */
export class LiveBlock {
  private readonly lines = new Map<string, string>();
  private drawn = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly write: (s: string) => void,
    private readonly intervalMs = 100,
  ) {}

  set(key: string, line: string): void {
    this.lines.set(key, line);
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.draw();
    }, this.intervalMs);
  }

  draw(): void {
    let out = this.drawn > 0 ? `\x1b[${this.drawn}A` : '';
    for (const line of this.lines.values()) out += `\x1b[2K${line}\n`;
    this.drawn = this.lines.size;
    this.write(out);
  }

  /** Final state, and no more redraws. */
  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.draw();
  }
}
