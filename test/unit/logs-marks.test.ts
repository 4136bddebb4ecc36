import { describe, expect, test } from 'vitest';
import {
  advanceMark,
  engineSeconds,
  eventSeconds,
  readFrom,
  selects,
  skipRepeats,
} from '../../src/logs/marks.js';
import type { LogLine } from '../../src/logs/types.js';

const line = (ts: string, text = ts): LogLine => ({
  container: 'c1',
  service: 'app',
  replica: 1,
  stream: 'stdout',
  ts,
  text,
});

describe('marks: where a re-read starts', () => {
  test('the mark is the latest timestamp and how many delivered lines carry it, even out of order', () => {
    const m = advanceMark(undefined, [line('2026-01-01T00:00:02Z'), line('2026-01-01T00:00:01Z')]);
    expect(m).toEqual({ ts: '2026-01-01T00:00:02Z', atTs: 1 });
    expect(advanceMark(m, [line('2026-01-01T00:00:02Z', 'b'), line('')])).toEqual({
      ts: '2026-01-01T00:00:02Z',
      atTs: 2,
    });
    expect(advanceMark(undefined, [line('')])).toBeUndefined();
  });

  test('a re-read drops exactly the lines already delivered at the mark, then passes everything', () => {
    const skip = skipRepeats({ ts: '2026-01-01T00:00:02Z', atTs: 2 });
    const again = [
      line('2026-01-01T00:00:01Z'),
      line('2026-01-01T00:00:02Z', 'a'),
      line('2026-01-01T00:00:02Z', 'b'),
      line('2026-01-01T00:00:02Z', 'c'),
      line('2026-01-01T00:00:03Z'),
      line('2026-01-01T00:00:01Z', 'late stderr'),
    ];
    expect(skip(again).map((l) => l.text)).toEqual(['c', '2026-01-01T00:00:03Z', 'late stderr']);
    expect(skipRepeats(undefined)(again)).toEqual(again);
  });

  test('timestamps as the engine takes them', () => {
    expect(engineSeconds('2026-01-01T00:00:02.123456789Z')).toBe(
      `${Date.UTC(2026, 0, 1, 0, 0, 2) / 1000}.123456789`,
    );
    expect(engineSeconds('2026-01-01T00:00:02Z')).toBe(`${Date.UTC(2026, 0, 1, 0, 0, 2) / 1000}.000000000`);
    expect(eventSeconds(1_700_000_000_000_000_042n)).toBe('1700000000.000000042');
  });

  test('the start of a read: the mark, else where it died (re-attach only), else --since', () => {
    const mark = { ts: '2026-01-01T00:00:02Z', atTs: 1 };
    expect(readFrom(mark, true, '5.0', '1')).toBe(engineSeconds(mark.ts));
    expect(readFrom(undefined, true, '5.0', '1')).toBe('5.0');
    expect(readFrom(undefined, false, '5.0', '1')).toBe('1');
    expect(readFrom(undefined, true, undefined, '1')).toBe('1');
  });

  test('selection by service and replica', () => {
    expect(selects(undefined, undefined)({ service: 'x', replica: 3 })).toBe(true);
    expect(selects(['app'], undefined)({ service: 'db', replica: 1 })).toBe(false);
    expect(selects(['app'], 2)({ service: 'app', replica: 1 })).toBe(false);
    expect(selects([], 2)({ service: 'db', replica: 2 })).toBe(true);
  });
});
