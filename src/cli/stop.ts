import type { Command } from 'commander';
import { ExitCode } from '../errors.js';
import { loadTargetServices, opContext, progressPrinter } from './lifecycle.js';

export function register(program: Command): void {
  program
    .command('stop')
    .description('stop running containers (kept, with their data), dependents first')
    .argument('[service...]', 'only these services')
    .option('-t, --timeout <seconds>', 'seconds to wait for each container to stop before killing it')
    .action(async (names: string[], flags: { timeout?: string }, cmd: Command) => {
      const { services, ...target } = await loadTargetServices(cmd, names);
      const { stop } = await import('../ops/lifecycle.js');
      const { errors } = await stop(await opContext(await progressPrinter(cmd)), target, {
        services,
        timeoutSec: flags.timeout === undefined ? undefined : Number(flags.timeout),
      });
      if (errors.length) process.exitCode = ExitCode.StackFailure;
    });
}
