// Turns the bytes of one container's log stream into lines. The engine multiplexes stdout and stderr into
// frames (8-byte header: stream, 0, 0, 0, big-endian length) unless the container has a TTY, in which case
// the stream is raw. HTTP chunking cuts frames anywhere, so every piece of state here survives a cut at any
// byte. With timestamps on, the engine prefixes every *message* (not every line): a line longer than the
// log driver's 16 KiB message size arrives as several messages, each with its own timestamp, which we strip
// so the line comes out whole.

/** A line longer than this is emitted in pieces, so one endless line cannot grow memory without bound. */
export const MAX_LINE_BYTES = 1024 * 1024;

export interface DecodedLine {
  stream: 'stdout' | 'stderr';
  ts: string;
  text: string;
}

interface Partial {
  parts: Buffer[];
  bytes: number;
  ts: string;
}

const HEADER = 8;

export class LogDecoder {
  private raw: boolean;
  private readonly timestamps: boolean;
  private pending: Buffer | undefined;
  private readonly partial: Record<'stdout' | 'stderr', Partial> = {
    stdout: { parts: [], bytes: 0, ts: '' },
    stderr: { parts: [], bytes: 0, ts: '' },
  };

  /**
   * @param tty the container has a TTY: the stream is raw, all of it stdout.
   * @param timestamps the engine was asked for timestamps (each message starts with one and a space).
   */
  constructor(opts: { tty: boolean; timestamps: boolean; maxLine?: number }) {
    this.raw = opts.tty;
    this.timestamps = opts.timestamps;
    this.maxLine = opts.maxLine ?? MAX_LINE_BYTES;
  }
  private readonly maxLine: number;

  /** Feed a chunk as it came off the socket; returns the lines it completed, in order. */
  push(chunk: Buffer): DecodedLine[] {
    const out: DecodedLine[] = [];
    if (this.raw) {
      this.feedRaw(chunk, out);
      return out;
    }
    const buf = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
    this.pending = undefined;
    let off = 0;
    while (buf.length - off >= HEADER) {
      const kind = buf[off]!;
      if (kind > 2 || buf[off + 1] !== 0 || buf[off + 2] !== 0 || buf[off + 3] !== 0) {
        // Not a frame header: the stream is not multiplexed after all (or is garbage we cannot resync from).
        // Show the bytes rather than lose them.
        this.raw = true;
        this.feedRaw(buf.subarray(off), out);
        return out;
      }
      const len = buf.readUInt32BE(off + 4);
      if (buf.length - off - HEADER < len) break;
      const payload = buf.subarray(off + HEADER, off + HEADER + len);
      off += HEADER + len;
      this.feedFrame(kind === 2 ? 'stderr' : 'stdout', payload, out);
    }
    if (off < buf.length) {
      // Copy so we don't pin the whole socket chunk while waiting for the rest of one frame.
      this.pending = Buffer.from(buf.subarray(off));
    }
    return out;
  }

  /** The stream ended: flush what is left (a last line without newline, a truncated frame). */
  end(): DecodedLine[] {
    const out: DecodedLine[] = [];
    if (this.pending && this.pending.length > 0) {
      // A truncated frame: its header is unusable, but the payload bytes (if any) are still the container's.
      const rest = this.pending.length > HEADER ? this.pending.subarray(HEADER) : Buffer.alloc(0);
      if (rest.length) this.append('stdout', rest, '', out);
    }
    this.pending = undefined;
    for (const s of ['stdout', 'stderr'] as const) {
      if (this.partial[s].bytes > 0) this.flush(s, out);
    }
    return out;
  }

  private feedFrame(stream: 'stdout' | 'stderr', payload: Buffer, out: DecodedLine[]): void {
    let body = payload;
    let ts = '';
    if (this.timestamps) {
      const cut = timestampEnd(payload);
      if (cut > 0) {
        ts = payload.toString('latin1', 0, cut - 1);
        body = payload.subarray(cut);
      }
    }
    this.append(stream, body, ts, out);
  }

  private feedRaw(chunk: Buffer, out: DecodedLine[]): void {
    this.append('stdout', chunk, '', out);
  }

  /** `ts` is the timestamp of the message `data` came in; a line takes the one of the message it began in. */
  private append(stream: 'stdout' | 'stderr', data: Buffer, ts: string, out: DecodedLine[]): void {
    const p = this.partial[stream];
    let start = 0;
    for (;;) {
      const nl = data.indexOf(10, start);
      if (nl < 0) break;
      const seg = data.subarray(start, nl);
      if (p.bytes === 0) out.push(this.line(stream, seg, ts));
      else {
        p.parts.push(seg);
        p.bytes += seg.length;
        this.flush(stream, out);
      }
      start = nl + 1;
    }
    if (start < data.length) {
      const rest = Buffer.from(data.subarray(start));
      if (p.bytes === 0) p.ts = ts;
      p.parts.push(rest);
      p.bytes += rest.length;
      if (p.bytes >= this.maxLine) this.flush(stream, out);
    }
  }

  private flush(stream: 'stdout' | 'stderr', out: DecodedLine[]): void {
    const p = this.partial[stream];
    const whole = p.parts.length === 1 ? p.parts[0]! : Buffer.concat(p.parts, p.bytes);
    out.push(this.line(stream, whole, p.ts));
    p.parts = [];
    p.bytes = 0;
    p.ts = '';
  }

  private line(stream: 'stdout' | 'stderr', seg: Buffer, ts: string): DecodedLine {
    let end = seg.length;
    if (end > 0 && seg[end - 1] === 13) end--;
    let start = 0;
    // Raw streams carry the message timestamp at the start of the line (no frames to hang it on).
    if (this.raw && this.timestamps && !ts) {
      const cut = timestampEnd(seg);
      if (cut > 0 && cut <= end) {
        ts = seg.toString('latin1', 0, cut - 1);
        start = cut;
      }
    }
    return { stream, ts, text: seg.toString('utf8', start, end) };
  }
}

/**
 * If `b` starts with an engine timestamp and a space ("2024-01-02T03:04:05.123456789Z "), the index just
 * past the space; otherwise 0.
 */
export function timestampEnd(b: Buffer): number {
  if (b.length < 21 || b[4] !== 45 || b[7] !== 45 || b[10] !== 84 || b[13] !== 58) return 0;
  const limit = Math.min(b.length, 40);
  for (let i = 19; i < limit; i++) {
    if (b[i] === 32) return i + 1;
  }
  return 0;
}
