import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { type DecodedLine, LogDecoder, timestampEnd } from '../../src/logs/decode.js';

const frame = (stream: 1 | 2, payload: string | Buffer) => {
  const body = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const h = Buffer.alloc(8);
  h[0] = stream;
  h.writeUInt32BE(body.length, 4);
  return Buffer.concat([h, body]);
};

const decodeAll = (chunks: Buffer[], opts = { tty: false, timestamps: false }) => {
  const d = new LogDecoder(opts);
  const out: DecodedLine[] = [];
  for (const c of chunks) out.push(...d.push(c));
  out.push(...d.end());
  return out;
};

/** Cut a buffer at the given offsets (sorted, deduplicated, inside the buffer). */
const cut = (buf: Buffer, at: number[]) => {
  const points = [...new Set(at.map((a) => a % (buf.length + 1)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let prev = 0;
  for (const p of points) {
    chunks.push(buf.subarray(prev, p));
    prev = p;
  }
  chunks.push(buf.subarray(prev));
  return chunks;
};

describe('LogDecoder, multiplexed streams', () => {
  test('stdout and stderr frames become lines of their stream', () => {
    const lines = decodeAll([
      Buffer.concat([frame(1, 'out one\n'), frame(2, 'err one\n'), frame(1, 'out two\n')]),
    ]);
    expect(lines).toEqual([
      { stream: 'stdout', ts: '', text: 'out one' },
      { stream: 'stderr', ts: '', text: 'err one' },
      { stream: 'stdout', ts: '', text: 'out two' },
    ]);
  });

  test('frames cut anywhere across chunks (headers too) give the same lines', () => {
    const whole = Buffer.concat([
      frame(1, 'alpha\n'),
      frame(2, 'beta\n'),
      frame(1, `${'x'.repeat(300)}\n`),
      frame(1, 'no newline yet '),
      frame(1, 'now\n'),
      frame(2, 'last'),
    ]);
    const expected = decodeAll([whole]);
    expect(expected.map((l) => l.text)).toEqual([
      'alpha',
      'beta',
      'x'.repeat(300),
      'no newline yet now',
      'last',
    ]);
    fc.assert(
      fc.property(fc.array(fc.nat(), { maxLength: 20 }), (at) => {
        expect(decodeAll(cut(whole, at))).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });

  test('every byte in its own chunk still works', () => {
    const whole = Buffer.concat([frame(1, 'a\nb\n'), frame(2, 'c\n')]);
    const chunks = [...whole].map((b) => Buffer.from([b]));
    expect(decodeAll(chunks).map((l) => `${l.stream}:${l.text}`)).toEqual([
      'stdout:a',
      'stdout:b',
      'stderr:c',
    ]);
  });

  test('timestamps are stripped per message, so a long line split into messages comes out whole', () => {
    const ts1 = '2024-05-01T10:00:00.000000001Z';
    const ts2 = '2024-05-01T10:00:00.000000002Z';
    const ts3 = '2024-05-01T10:00:00.000000003Z';
    const part1 = 'a'.repeat(16384);
    const part2 = 'b'.repeat(100);
    const whole = Buffer.concat([
      frame(1, `${ts1} ${part1}`),
      frame(1, `${ts2} ${part2}\n`),
      frame(2, `${ts3} short\n`),
    ]);
    fc.assert(
      fc.property(fc.array(fc.nat(), { maxLength: 8 }), (at) => {
        expect(decodeAll(cut(whole, at), { tty: false, timestamps: true })).toEqual([
          { stream: 'stdout', ts: ts1, text: part1 + part2 },
          { stream: 'stderr', ts: ts3, text: 'short' },
        ]);
      }),
      { numRuns: 100 },
    );
  });

  test('binary noise inside frames is kept, decoded as UTF-8 with replacement; CRLF loses its CR', () => {
    const noise = Buffer.from([0, 1, 2, 0xff, 0xfe, 0x1b, 0x5b, 0x33, 0x31, 0x6d, 0xc3]);
    const lines = decodeAll([frame(1, Buffer.concat([noise, Buffer.from('\r\n')])), frame(1, 'ok\n')]);
    expect(lines).toHaveLength(2);
    expect(lines[0]!.text).toBe(noise.toString('utf8'));
    expect(lines[1]!.text).toBe('ok');
  });

  test('a multi-byte character split across frames and chunks survives', () => {
    const s = Buffer.from('héllo wörld ✓\n');
    const whole = Buffer.concat([
      frame(1, s.subarray(0, 2)),
      frame(1, s.subarray(2, 13)),
      frame(1, s.subarray(13)),
    ]);
    fc.assert(
      fc.property(fc.array(fc.nat(), { maxLength: 6 }), (at) => {
        expect(decodeAll(cut(whole, at)).map((l) => l.text)).toEqual(['héllo wörld ✓']);
      }),
    );
  });

  test('a stream that is not multiplexed after all is shown raw rather than lost', () => {
    const lines = decodeAll([Buffer.from('plain text, no frames\nsecond\n')]);
    expect(lines.map((l) => l.text)).toEqual(['plain text, no frames', 'second']);
  });

  test('an endless line is emitted in bounded pieces', () => {
    const d = new LogDecoder({ tty: false, timestamps: false, maxLine: 1000 });
    const out: DecodedLine[] = [];
    for (let i = 0; i < 10; i++) out.push(...d.push(frame(1, 'y'.repeat(500))));
    out.push(...d.end());
    expect(out.map((l) => l.text.length)).toEqual([1000, 1000, 1000, 1000, 1000]);
  });
});

describe('LogDecoder, TTY (raw) streams', () => {
  test('raw bytes are split into lines, all stdout, timestamps taken from each line start', () => {
    const ts = '2024-05-01T10:00:00.123456789Z';
    const whole = Buffer.from(`${ts} one\r\n${ts} two\r\n${ts} three`);
    fc.assert(
      fc.property(fc.array(fc.nat(), { maxLength: 10 }), (at) => {
        expect(decodeAll(cut(whole, at), { tty: true, timestamps: true })).toEqual([
          { stream: 'stdout', ts, text: 'one' },
          { stream: 'stdout', ts, text: 'two' },
          { stream: 'stdout', ts, text: 'three' },
        ]);
      }),
    );
  });

  test('a raw stream whose first byte looks like a frame header is not treated as one', () => {
    const lines = decodeAll([Buffer.from([1, 65, 10])], { tty: true, timestamps: false });
    expect(lines).toEqual([{ stream: 'stdout', ts: '', text: '\u0001A' }]);
  });
});

test('timestampEnd recognises the engine timestamp and nothing else', () => {
  expect(timestampEnd(Buffer.from('2024-05-01T10:00:00.123456789Z hi'))).toBe(31);
  expect(timestampEnd(Buffer.from('2024-05-01T10:00:00Z hi'))).toBe(21);
  expect(timestampEnd(Buffer.from('hello world, not a timestamp'))).toBe(0);
  expect(timestampEnd(Buffer.from('2024-05-01'))).toBe(0);
});
