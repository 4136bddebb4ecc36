// The held-out load check (issue 12): Compose files written by others that no other berth test uses
// (test/heldout: docker/compose's own e2e fixtures) load and plan, or fail with exit code 2 and a message
// naming the key and the file:line, never a crash or a stack trace. The failures are listed here with their
// reason, so a new failure (or a stale entry) fails this test; `npm run compat:heldout` prints the table.
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { collectCases, type Outcome, runCase } from '../heldout/check.js';
import { configInProcess } from './cli-harness.js';

const ROOT = path.resolve(import.meta.dirname, '../heldout');
const F = 'docker-compose/pkg/e2e/fixtures';

/** Every file that does not load, and why. */
const EXPECTED: Record<string, { reason: string }> = {
  [`${F}/container_name/compose.yaml`]: {
    reason: 'two services with one container_name: Compose rejects it too (its test expects the error)',
  },
  [`${F}/env_file/compose.yaml`]: {
    reason:
      "an env_file that does not exist (/doesnotexist/.env): Compose's test runs `up serviceA` only, which berth also allows (env files of services not started are not read)",
  },
  [`${F}/run-test/jobs.yaml`]: {
    reason:
      'top-level `jobs`: not in the Compose specification berth implements (a new docker/compose feature)',
  },
};

const cases = collectCases(ROOT);
const outcomes: Outcome[] = cases.map(runCase);

/** `berth config -q` in process, as the user would run it: the exit code and what reaches stderr. */
const configQ = (args: string[]) => configInProcess([...args, 'config', '-q']);

describe('held-out Compose files', () => {
  test('the set is there and broad', () => {
    expect(cases.length).toBeGreaterThanOrEqual(130);
  });

  test('nothing crashes: every failure is exit code 2 at a file:line', () => {
    const crashes = outcomes.filter((o) => o.crash).map((o) => `${o.case.name}: ${o.crash}`);
    expect(crashes).toEqual([]);
  });

  test('the files that fail are exactly the known ones, each for its reason', () => {
    const failing = outcomes.filter((o) => !o.ok).map((o) => o.case.name);
    expect(failing.filter((f) => !EXPECTED[f])).toEqual([]);
    const stale = Object.entries(EXPECTED)
      .filter(([f]) => !failing.includes(f))
      .map(([f]) => f);
    expect(stale, 'these load now: remove them from EXPECTED').toEqual([]);
  });

  test('at least 95 % load and plan', () => {
    const ok = outcomes.filter((o) => o.ok).length;
    expect(ok / outcomes.length).toBeGreaterThanOrEqual(0.95);
  });

  test('each failing file, through the CLI: exit 2, the key and the file:line, no stack trace', async () => {
    for (const o of outcomes.filter((x) => !x.ok)) {
      const args = o.case.files.length
        ? o.case.files.flatMap((f) => ['-f', path.join(o.case.cwd, f)])
        : ['--project-directory', o.case.cwd];
      const r = await configQ(args);
      expect(r.code, `${o.case.name}\n${r.err}`).toBe(2);
      expect(r.err, o.case.name).toMatch(/[\w.-]+\.ya?ml:\d+:\d+: /);
      expect(r.err, o.case.name).toMatch(/`[\w.[\]-]+`/);
      expect(r.err, o.case.name).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
    }
  }, 120_000);
});
