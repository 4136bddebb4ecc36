import type { Command } from 'commander';
import type { Stack } from '../model/stack.js';
import { ExitCode } from '../errors.js';
import { interruptOnSigint, loadStackFor, opContext, progressPrinter, selectServices } from './lifecycle.js';

/** Start existing containers through the `up` executor, so dependency conditions are honoured. */
export async function startExisting(cmd: Command, stack: Stack, names: string[]): Promise<void> {
  const services = selectServices(stack, names, false);
  const { start } = await import('../ops/lifecycle.js');
  const sigint = interruptOnSigint();
  try {
    const result = await start(await opContext(await progressPrinter(cmd), sigint.signal), stack, services);
    if (result.interrupted) process.exitCode = 130;
    else if (!result.ok) process.exitCode = ExitCode.StackFailure;
  } finally {
    sigint.dispose();
  }
}

export function register(program: Command): void {
  program
    .command('start')
    .description('start existing containers of the stack, dependencies first')
    .argument('[service...]', 'only these services')
    .action(async (names: string[], _flags: unknown, cmd: Command) => {
      await startExisting(cmd, await loadStackFor(cmd), names);
    });
}
