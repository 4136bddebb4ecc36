import { expect, test } from 'vitest';
import { engineHonoursStartInterval, probeCommand } from '../../src/executor/start-probes.js';

test('engines from API 1.44 on run start_interval themselves', () => {
  expect(engineHonoursStartInterval('1.41')).toBe(false);
  expect(engineHonoursStartInterval('1.43')).toBe(false);
  expect(engineHonoursStartInterval('1.44')).toBe(true);
  expect(engineHonoursStartInterval('1.47')).toBe(true);
  expect(engineHonoursStartInterval(undefined)).toBe(false);
});

test('a healthcheck test becomes the command an exec runs', () => {
  expect(probeCommand(['CMD', 'pg_isready', '-q'])).toEqual(['pg_isready', '-q']);
  expect(probeCommand(['CMD-SHELL', 'redis-cli ping | grep -q PONG'])).toEqual([
    '/bin/sh',
    '-c',
    'redis-cli ping | grep -q PONG',
  ]);
  expect(probeCommand(['NONE'])).toBeUndefined();
  expect(probeCommand(['CMD'])).toBeUndefined();
});
