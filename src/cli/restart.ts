import type { Command } from 'commander';
import { ExitCode } from '../errors.js';
import { loadStackFor, progressPrinter, selectServices } from './lifecycle.js';
import { startExisting } from './start.js';

export function register(program: Command): void {
  program
    .command('restart')
    .description('restart containers: stop (dependents first), then start (dependencies first)')
    .argument('[service...]', 'only these services')
    .option('-t, --timeout <seconds>', 'seconds to wait for each container to stop before killing it')
    .action(async (names: string[], flags: { timeout?: string }, cmd: Command) => {
      const stack = await loadStackFor(cmd);
      const selected = await selectServices(stack, names, false);
      const [{ lifecycleEngine }, { listProjectContainers }, { runStop }] = await Promise.all([
        import('../engine/light.js'),
        import('../engine/observe.js'),
        import('../executor/stop.js'),
      ]);
      const docker = await lifecycleEngine();
      const containers = (await listProjectContainers(docker, stack.project)).filter(
        (c) => !c.oneoff && (!selected || selected.includes(c.service)),
      );
      const { errors } = await runStop(docker, stack, containers, {
        timeoutSec: flags.timeout === undefined ? undefined : Number(flags.timeout),
        onEvent: await progressPrinter(cmd),
      });
      if (errors.length) {
        process.exitCode = ExitCode.StackFailure;
        return;
      }
      await startExisting(cmd, stack, names);
    });
}
