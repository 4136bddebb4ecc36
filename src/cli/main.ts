import { Command, CommanderError } from 'commander';
import { ExitCode } from '../errors.js';
import { VERSION } from '../version.js';
import { addGlobalOptions } from './globals.js';
import { reportError } from './report.js';
import { registerVerbs } from './verbs.js';

export async function main(argv: string[]): Promise<void> {
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
