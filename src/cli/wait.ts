import type { Command } from 'commander';
import { interruptOnSigint, opContext, progressPrinter } from './lifecycle.js';
import { targetAndServices } from './verb-target.js';

export function register(program: Command): void {
  program
    .command('wait')
    .description('block until the services’ containers stop; exit with the status of the last one')
    .argument('<service...>', 'the services')
    .option('--down-project', 'take the project down once they stopped')
    .action(async (names: string[], flags: { downProject?: boolean }, cmd: Command) => {
      const { target, services } = await targetAndServices(cmd, names);
      const { wait } = await import('../ops/wait.js');
      const sigint = interruptOnSigint();
      let code: number;
      try {
        const ctx = await opContext(undefined, sigint.signal);
        ({ exitCode: code } = await wait(ctx, target, {
          services,
          onExit: (c, status) =>
            process.stdout.write(`container "${c.id}" exited with status code ${status}\n`),
        }));
      } finally {
        sigint.dispose();
      }
      if (flags.downProject) {
        const { down } = await import('../ops/down.js');
        await down(await opContext(await progressPrinter(cmd)), target, { removeOrphans: true });
      }
      process.exitCode = code;
    });
}
