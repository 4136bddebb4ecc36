import { Chalk, type ChalkInstance } from 'chalk';
import stringWidth from 'string-width';
import type { LogLine } from './types.js';

/** Colours a service can get, in the order they are handed out (Compose's palette, then the bright ones). */
export const PALETTE = [
  'cyan',
  'yellow',
  'green',
  'magenta',
  'blue',
  'red',
  'cyanBright',
  'yellowBright',
  'greenBright',
  'magentaBright',
  'blueBright',
  'redBright',
] as const;
export type Colour = (typeof PALETTE)[number];

/**
 * One stable colour per service: services sorted by name take the palette in turn, so a stack's services
 * keep their colours from run to run, in `berth logs` and in the UI alike, and never share one until the
 * palette runs out.
 */
export function colourMap(services: Iterable<string>): Map<string, Colour> {
  const sorted = [...new Set(services)].sort();
  return new Map(sorted.map((s, i) => [s, PALETTE[i % PALETTE.length]!]));
}

/** `service` alone, or `service-n` when the service has more than one replica. */
export const prefixLabel = (service: string, replica: number, replicated: boolean) =>
  replicated ? `${service}-${replica}` : service;

export interface FormatOptions {
  color: boolean;
  prefix: boolean;
  timestamps: boolean;
}

/**
 * Formats lines as `service-n | text`, prefixes padded to one width. The set of containers can grow while
 * following; the formatter learns them as they come (`learn`) and widens the padding when needed.
 */
export class LineFormatter {
  private readonly chalk: ChalkInstance;
  private colours = new Map<string, Colour>();
  private readonly replicas = new Map<string, Set<number>>();
  private width = 0;
  private readonly cache = new Map<string, string>();

  constructor(private readonly opts: FormatOptions) {
    this.chalk = new Chalk({ level: opts.color ? 1 : 0 });
  }

  /** Tell the formatter about containers (service, replica) and every service of the stack, for colours. */
  learn(containers: Array<{ service: string; replica: number }>, services: Iterable<string> = []): void {
    for (const c of containers) {
      const set = this.replicas.get(c.service) ?? new Set<number>();
      this.replicas.set(c.service, set);
      set.add(c.replica);
    }
    this.colours = colourMap([...this.colours.keys(), ...services, ...this.replicas.keys()]);
    let width = 0;
    for (const [service, set] of this.replicas) {
      for (const r of set) width = Math.max(width, stringWidth(prefixLabel(service, r, set.size > 1)));
    }
    this.width = width;
    this.cache.clear();
  }

  private prefixOf(line: Pick<LogLine, 'service' | 'replica'>): string {
    const key = `${line.service}\0${line.replica}`;
    let p = this.cache.get(key);
    if (p === undefined) {
      const set = this.replicas.get(line.service);
      const label = prefixLabel(line.service, line.replica, (set?.size ?? 1) > 1);
      const padded = label + ' '.repeat(Math.max(0, this.width - stringWidth(label)));
      const colour = this.colours.get(line.service) ?? 'cyan';
      p = `${this.chalk[colour](`${padded} |`)} `;
      this.cache.set(key, p);
    }
    return p;
  }

  format(line: LogLine): string {
    const head = this.opts.prefix ? this.prefixOf(line) : '';
    const ts = this.opts.timestamps && line.ts ? `${line.ts} ` : '';
    return `${head}${ts}${line.text}\n`;
  }

  formatAll(lines: LogLine[]): string {
    let s = '';
    for (const l of lines) s += this.format(l);
    return s;
  }
}
