import type { Command } from 'commander';
import { ExitCode } from '../errors.js';
import { loadStackOrProject, opContext, progressPrinter, selectServices } from './lifecycle.js';

export function register(program: Command): void {
  program
    .command('stop')
    .description('stop running containers (kept, with their data), dependents first')
    .argument('[service...]', 'only these services')
    .option('-t, --timeout <seconds>', 'seconds to wait for each container to stop before killing it')
    .action(async (names: string[], flags: { timeout?: string }, cmd: Command) => {
      const target = await loadStackOrProject(cmd);
      const services = target.stack
        ? selectServices(target.stack, names, false)
        : names.length
          ? names
          : undefined;
      const { stop } = await import('../ops/lifecycle.js');
      const { errors } = await stop(await opContext(await progressPrinter(cmd)), target, {
        services,
        timeoutSec: flags.timeout === undefined ? undefined : Number(flags.timeout),
      });
      if (errors.length) process.exitCode = ExitCode.StackFailure;
    });
}
