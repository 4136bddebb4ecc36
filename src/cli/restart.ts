import type { Command } from 'commander';
import { ExitCode } from '../errors.js';
import { loadStackFor, opContext, progressPrinter, selectServices } from './lifecycle.js';
import { startExisting } from './start.js';

export function register(program: Command): void {
  program
    .command('restart')
    .description('restart containers: stop (dependents first), then start (dependencies first)')
    .argument('[service...]', 'only these services')
    .option('-t, --timeout <seconds>', 'seconds to wait for each container to stop before killing it')
    .action(async (names: string[], flags: { timeout?: string }, cmd: Command) => {
      const stack = await loadStackFor(cmd);
      const services = selectServices(stack, names, false);
      const { stop } = await import('../ops/lifecycle.js');
      const { errors } = await stop(
        await opContext(await progressPrinter(cmd)),
        { stack, project: stack.project },
        // providers: Compose's restart leaves provider services as they are
        {
          services,
          timeoutSec: flags.timeout === undefined ? undefined : Number(flags.timeout),
          providers: false,
        },
      );
      if (errors.length) {
        process.exitCode = ExitCode.StackFailure;
        return;
      }
      await startExisting(cmd, stack, names);
    });
}
