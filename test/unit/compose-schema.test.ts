import { readFileSync } from 'node:fs';
import { expect, test } from 'vitest';
import { generateValidator } from '../../schemas/generate.js';
import { shownKey } from '../../src/compose/paths.js';
import { didYouMean } from '../../src/compose/schema.js';

test('the precompiled validator is fresh (run `npx tsx schemas/generate.ts` after editing the schema)', () => {
  const current = readFileSync(new URL('../../schemas/stack-validator.gen.cjs', import.meta.url), 'utf8');
  expect(current === generateValidator()).toBe(true);
});

test('did you mean: typos, swaps, prefixes; nothing for unrelated words', () => {
  const keys = ['image', 'ports', 'depends_on', 'environment', 'healthcheck', 'volumes'];
  expect(didYouMean('imgae', keys)).toBe('image');
  expect(didYouMean('port', keys)).toBe('ports');
  expect(didYouMean('depend_on', keys)).toBe('depends_on');
  expect(didYouMean('enviroment', keys)).toBe('environment');
  expect(didYouMean('helthcheck', keys)).toBe('healthcheck');
  expect(didYouMean('zebra', keys)).toBeUndefined();
});

test('a key of 64 KiB gets no guess, quickly, and is cut in the message', () => {
  const keys = ['image', 'ports', 'environment', 'volumes'];
  const huge = 'y'.repeat(65536);
  const t0 = process.cpuUsage();
  expect(didYouMean(huge, keys)).toBeUndefined();
  expect(didYouMean(`image${huge}`, keys)).toBe('image'); // a prefix is still a guess
  const cpu = process.cpuUsage(t0);
  expect((cpu.user + cpu.system) / 1000).toBeLessThan(500);
  expect(shownKey(huge)).toBe(`${'y'.repeat(60)}…`);
});
