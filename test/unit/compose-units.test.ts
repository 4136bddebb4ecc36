import { expect, test } from 'vitest';
import { formatDuration } from '../../src/compose/canonical.js';
import { parseBytes, parseDuration, shellSplit } from '../../src/compose/units.js';

test('durations as Go writes them', () => {
  expect(parseDuration('10s')).toBe(10_000);
  expect(parseDuration('1m30s')).toBe(90_000);
  expect(parseDuration('1.5h')).toBe(5_400_000);
  expect(parseDuration('500ms')).toBe(500);
  expect(parseDuration('2us')).toBe(0);
  expect(parseDuration(30)).toBe(30_000);
  expect(parseDuration('0')).toBe(0);
  for (const bad of ['10 seconds', 's', '', '1x', '-1s', true]) expect(parseDuration(bad)).toBeUndefined();
  for (const ms of [0, 500, 1000, 90_000, 3_600_000, 5_400_000])
    expect(parseDuration(formatDuration(ms))).toBe(ms);
  expect(formatDuration(90_000)).toBe('1m30s');
  expect(formatDuration(3_600_000)).toBe('1h0m0s');
  expect(formatDuration(1500)).toBe('1.5s');
});

test('sizes in the units Compose accepts (binary multiples)', () => {
  expect(parseBytes('512m')).toBe(512 * 1024 ** 2);
  expect(parseBytes('1.5G')).toBe(1.5 * 1024 ** 3);
  expect(parseBytes('1gb')).toBe(1024 ** 3);
  expect(parseBytes('100k')).toBe(102_400);
  expect(parseBytes(2048)).toBe(2048);
  expect(parseBytes('64')).toBe(64);
  for (const bad of ['lots', '1.5.5g', '-1m', '']) expect(parseBytes(bad)).toBeUndefined();
});

test('command strings split like a POSIX shell', () => {
  expect(shellSplit(`sh -c 'echo "a b" $HOME'`)).toEqual(['sh', '-c', 'echo "a b" $HOME']);
  expect(shellSplit('a\\ b "c\\"d" \'\'')).toEqual(['a b', 'c"d', '']);
  expect(shellSplit('  spaced   out  ')).toEqual(['spaced', 'out']);
  expect(shellSplit('unbalanced "quote')).toBeUndefined();
});
