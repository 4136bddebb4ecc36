import { Command, CommanderError } from 'commander';
import { ExitCode } from '../errors.js';
import { finishMemo, startMemo } from '../memo/record.js';
import { VERSION } from '../version.js';
import { addGlobalOptions } from './globals.js';
import { reportError } from './report.js';
import { registerVerbs } from './verbs.js';

/** `memoKey`: bin/berth.js found no memo that holds for this call; a verb may leave one under this key. */
export async function main(argv: string[], opts: { memoKey?: string } = {}): Promise<void> {
  if (opts.memoKey) startMemo(opts.memoKey);
  try {
    await run(argv);
  } finally {
    finishMemo(process.exitCode);
  }
}

async function run(argv: string[]): Promise<void> {
  const program = new Command('berth')
    .description('Multi-container development stacks, per client: Compose files, one log feed, a live UI.')
    .version(VERSION, '-v, --version')
    .enablePositionalOptions()
    .showHelpAfterError('(run `berth --help` for usage)')
    .exitOverride();
  addGlobalOptions(program);
  await registerVerbs(program, argv.slice(2));
  // `--no-wait` (before the verb, or on up/down/use) or BERTH_NO_WAIT=1: fail at once on a held project lock.
  program.hook('preAction', async (_root, action) => {
    if (program.opts().wait === false || action.opts().wait === false) {
      const { lockSettings } = await import('../ops/lock.js');
      lockSettings.wait = false;
    }
  });
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // help and version exit 0; any other commander error is bad usage, already printed by commander
      process.exitCode = err.exitCode === 0 ? 0 : ExitCode.BadInput;
      return;
    }
    process.exitCode = reportError(err);
  }
}
