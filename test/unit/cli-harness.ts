// berth's CLI for unit tests, two ways: `config` in this process through commander (output captured, exit code
// from reportError, as main() reports), or the real `main` in a child process (every verb, real stdio).
import { type SpawnSyncReturns, spawnSync } from 'node:child_process';
import path from 'node:path';
import { Command } from 'commander';
import { vi } from 'vitest';
import { register } from '../../src/cli/config.js';
import { addGlobalOptions } from '../../src/cli/globals.js';
import { reportError } from '../../src/cli/report.js';

/** `berth ARGS` with only `config` registered, in process: its exit code, stdout and stderr. */
export async function configInProcess(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const so = vi.spyOn(process.stdout, 'write').mockImplementation((s) => {
    out += String(s);
    return true;
  });
  const se = vi.spyOn(process.stderr, 'write').mockImplementation((s) => {
    err += String(s);
    return true;
  });
  const program = new Command('berth').exitOverride().enablePositionalOptions();
  addGlobalOptions(program);
  register(program);
  let code = 0;
  try {
    await program.parseAsync(['node', 'berth', ...args]);
  } catch (e) {
    code = reportError(e, (s) => {
      err += s;
    });
  } finally {
    so.mockRestore();
    se.mockRestore();
  }
  return { code, out, err };
}

/** The real berth (src/cli/main.ts through tsx) in a child process, from the checkout's root. */
export function berthProcess(args: string[], env: NodeJS.ProcessEnv = {}): SpawnSyncReturns<string> {
  return spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      '-e',
      "import('./src/cli/main.ts').then((m) => m.main(['node', 'berth', ...process.argv.slice(1)]))",
      '--',
      ...args,
    ],
    { cwd: path.resolve(import.meta.dirname, '../..'), encoding: 'utf8', env: { ...process.env, ...env } },
  );
}
