import { describe, expect, test } from 'vitest';
import { parseContainerEvent } from '../../src/engine/event-decode.js';
import { engineSeconds } from '../../src/logs/follow.js';
import { colourMap, LineFormatter, PALETTE } from '../../src/logs/format.js';
import { OrderedMerge } from '../../src/logs/merge.js';
import { engineTime } from '../../src/logs/time.js';
import type { LogLine } from '../../src/logs/types.js';

const line = (service: string, replica: number, text: string, ts = ''): LogLine => ({
  container: `${service}${replica}`,
  service,
  replica,
  stream: 'stdout',
  ts,
  text,
});

describe('LineFormatter', () => {
  test('prefixes are padded to one width; the replica number shows only for replicated services', () => {
    const f = new LineFormatter({ color: false, prefix: true, timestamps: false });
    f.learn([
      { service: 'app', replica: 1 },
      { service: 'app', replica: 2 },
      { service: 'db', replica: 1 },
      { service: 'loadbalancer', replica: 1 },
    ]);
    expect(f.format(line('app', 2, 'hi'))).toBe('app-2        | hi\n');
    expect(f.format(line('db', 1, 'ready'))).toBe('db           | ready\n');
    expect(f.format(line('loadbalancer', 1, 'up'))).toBe('loadbalancer | up\n');
  });

  test('the padding widens when a longer container shows up while following', () => {
    const f = new LineFormatter({ color: false, prefix: true, timestamps: false });
    f.learn([{ service: 'db', replica: 1 }]);
    expect(f.format(line('db', 1, 'x'))).toBe('db | x\n');
    f.learn([{ service: 'worker', replica: 1 }]);
    expect(f.format(line('db', 1, 'x'))).toBe('db     | x\n');
  });

  test('timestamps go after the prefix; --no-prefix leaves the bare line', () => {
    const ts = '2024-05-01T10:00:00.000000001Z';
    const t = new LineFormatter({ color: false, prefix: true, timestamps: true });
    t.learn([{ service: 'db', replica: 1 }]);
    expect(t.format(line('db', 1, 'x', ts))).toBe(`db | ${ts} x\n`);
    const bare = new LineFormatter({ color: false, prefix: false, timestamps: false });
    expect(bare.format(line('db', 1, 'x', ts))).toBe('x\n');
  });

  test('with colour, the prefix is coloured and the line itself is left alone', () => {
    const f = new LineFormatter({ color: true, prefix: true, timestamps: false });
    f.learn([{ service: 'db', replica: 1 }], ['app', 'db']);
    // db is the second service by name: yellow (33)
    expect(f.format(line('db', 1, 'x'))).toBe('\u001b[33mdb |\u001b[39m x\n');
  });

  test('without colour, no escape codes at all', () => {
    const f = new LineFormatter({ color: false, prefix: true, timestamps: false });
    f.learn([{ service: 'db', replica: 1 }]);
    expect(f.formatAll([line('db', 1, 'a'), line('db', 1, 'b')])).not.toContain('\u001b');
  });
});

test('colours are stable per service (sorted by name) and distinct until the palette runs out', () => {
  const a = colourMap(['web', 'db', 'app']);
  const b = colourMap(['app', 'web', 'db', 'app']);
  expect([...a]).toEqual([...b]);
  expect(a.get('app')).toBe(PALETTE[0]);
  const many = colourMap(Array.from({ length: PALETTE.length }, (_, i) => `s${String(i).padStart(2, '0')}`));
  expect(new Set(many.values()).size).toBe(PALETTE.length);
});

describe('OrderedMerge', () => {
  test('releases lines in timestamp order across sources, only once every open source has one queued', () => {
    const m = new OrderedMerge<{ ts: string; id: string }>();
    m.add('a');
    m.add('b');
    m.push('a', [
      { ts: '1', id: 'a1' },
      { ts: '3', id: 'a3' },
    ]);
    expect(m.take()).toEqual([]); // b might still have something older
    m.push('b', [{ ts: '2', id: 'b2' }]);
    expect(m.take().map((l) => l.id)).toEqual(['a1', 'b2']);
    expect(m.waitingFor()).toEqual(['b']);
    m.end('b');
    expect(m.take().map((l) => l.id)).toEqual(['a3']);
    m.end('a');
    expect(m.done).toBe(true);
  });

  test('one source keeps its own order even when its timestamps go backwards', () => {
    const m = new OrderedMerge<{ ts: string; id: string }>();
    m.add('a');
    m.push('a', [
      { ts: '5', id: 'x' },
      { ts: '4', id: 'y' },
    ]);
    m.end('a');
    expect(m.take().map((l) => l.id)).toEqual(['x', 'y']);
  });
});

describe('times', () => {
  const now = Date.parse('2024-05-01T12:00:00Z');
  test('durations, dates and Unix seconds become engine seconds', () => {
    expect(engineTime('10m', '--since', now)).toBe(`${(now - 600_000) / 1000}.000`);
    expect(engineTime('1h30m', '--since', now)).toBe(`${(now - 5_400_000) / 1000}.000`);
    expect(engineTime('2024-05-01T11:00:00Z', '--since', now)).toBe(`${(now - 3_600_000) / 1000}.000`);
    expect(engineTime('1714560000', '--since', now)).toBe('1714560000');
  });
  test('anything else is bad input naming the flag', () => {
    expect(() => engineTime('yesterday', '--since', now)).toThrow(/--since "yesterday" is not a time/);
  });
  test("the engine's timestamps convert to seconds with nanoseconds", () => {
    expect(engineSeconds('2024-05-01T12:00:00.000000042Z')).toBe(`${now / 1000}.000000042`);
  });
});

test('engine events: container events parsed with berth labels; exec noise and other types dropped', () => {
  const ev = parseContainerEvent(
    JSON.stringify({
      Type: 'container',
      Action: 'start',
      Actor: {
        ID: 'abc',
        Attributes: { name: 'p-app-2', 'dev.berth.service': 'app', 'dev.berth.replica': '2' },
      },
      time: 1714560000,
      timeNano: '1714560000123456789',
    }),
  );
  expect(ev).toMatchObject({ action: 'start', id: 'abc', name: 'p-app-2', service: 'app', replica: 2 });
  expect(
    parseContainerEvent(JSON.stringify({ Type: 'container', Action: 'exec_start: sh', Actor: { ID: 'x' } })),
  ).toBe(undefined);
  expect(parseContainerEvent(JSON.stringify({ Type: 'network', Action: 'connect' }))).toBe(undefined);
  expect(parseContainerEvent('{not json')).toBe(undefined);
});
