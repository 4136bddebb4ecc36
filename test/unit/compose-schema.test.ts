import { readFileSync } from 'node:fs';
import { expect, test } from 'vitest';
import { generateValidator } from '../../schemas/generate.js';
import { didYouMean } from '../../src/compose/schema.js';

test('the precompiled validator is fresh (run `npx tsx schemas/generate.ts` after editing the schema)', () => {
  const current = readFileSync(new URL('../../schemas/stack-validator.gen.js', import.meta.url), 'utf8');
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
