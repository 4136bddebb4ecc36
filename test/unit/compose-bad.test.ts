// Every broken stack file in fixtures/bad/ must fail cleanly: exit code 2, file:line in the message, the
// words a user needs, and never a stack trace. Each file's first line says what is expected:
//   # expect LINE: words|other words
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { reportError } from '../../src/cli/report.js';
import { ExitCode } from '../../src/errors.js';
import { loadStack } from '../../src/compose/index.js';

const root = path.resolve(import.meta.dirname, '../..');
const dir = path.join(root, 'fixtures/bad');
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.yaml'))
  .sort();

function run(file: string): { code: number; out: string } {
  let out = '';
  try {
    loadStack({ files: [path.join('fixtures/bad', file)], cwd: root, profiles: [], envFiles: [], env: {} });
  } catch (err) {
    const code = reportError(err, (s) => {
      out += s;
    });
    return { code, out };
  }
  return { code: 0, out };
}

test('there are at least 40 broken stack files', () => {
  expect(files.length).toBeGreaterThanOrEqual(40);
});

describe.each(files)('fixtures/bad/%s', (file) => {
  const header = readFileSync(path.join(dir, file), 'utf8').split('\n')[0]!;
  const m = /^# expect (\d+): (.*)$/.exec(header);
  test('fails with exit code 2 at the right line, in plain words', () => {
    expect(m, `header of ${file}`).not.toBeNull();
    const { code, out } = run(file);
    expect(code).toBe(ExitCode.BadInput);
    expect(out).toContain(`fixtures/bad/${file}:${m![1]}:`);
    for (const words of m![2]!.split('|')) expect(out).toContain(words);
    expect(out).not.toMatch(/\n\s+at .*\.(ts|js):\d+/);
    expect(out).not.toContain('internal error');
    // a code frame marks the line
    expect(out).toMatch(new RegExp(`> +${m![1]} \\|`));
  });
});
