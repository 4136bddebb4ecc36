import { expect, test } from 'vitest';
import { reportError } from '../../src/cli/report.js';
import { EngineError, engineErrorOfStatus } from '../../src/engine/errors.js';
import { BerthError, badInput, ExitCode } from '../../src/errors.js';

test('a BerthError prints file:line:col, the frame and the hint, and returns its exit code', () => {
  let out = '';
  const code = reportError(
    badInput('ports[1]: 99999 is not a port (1-65535)', {
      pos: { file: 'berth.yaml', line: 7, col: 9 },
      frame: '   7 |       - "99999:80"',
      hint: 'use a number from 1 to 65535',
    }),
    (s) => {
      out += s;
    },
  );
  expect(code).toBe(ExitCode.BadInput);
  expect(out).toContain('berth.yaml:7:9: ports[1]: 99999 is not a port');
  expect(out).toContain('hint: use a number');
});

test('an unexpected error is one line, without a stack trace', () => {
  let out = '';
  const code = reportError(new Error('boom'), (s) => {
    out += s;
  });
  expect(code).toBe(ExitCode.StackFailure);
  expect(out.trim().split('\n')).toHaveLength(1);
  expect(out).not.toMatch(/at .*\.ts/);
  expect(new BerthError('x').exitCode).toBe(ExitCode.StackFailure);
});

test('an engine failure nothing above handled prints the engine’s words, not "internal error"', () => {
  let out = '';
  const code = reportError(engineErrorOfStatus(500, 'read /proc/1/cgroup: no such process'), (s) => {
    out += s;
  });
  expect(code).toBe(ExitCode.StackFailure);
  expect(out).toContain('the engine refused or failed a request: read /proc/1/cgroup: no such process');
  expect(out).not.toContain('internal error');
  let lost = '';
  expect(
    reportError(new EngineError('timeout', 'no answer within 30 s'), (s) => {
      lost += s;
    }),
  ).toBe(ExitCode.EngineUnreachable);
  expect(lost).toContain('cannot reach the Docker engine (no answer within 30 s)');
});
