import type { Command } from 'commander';
import { interruptOnSigint, loadStackFor, opContext, progressPrinter, selectServices } from './lifecycle.js';

interface WatchFlags {
  up?: boolean;
  prune?: boolean;
  quiet?: boolean;
}

export function register(program: Command): void {
  program
    .command('watch')
    .description(
      'bring the services up, then sync, restart or rebuild them as their files change (develop.watch)',
    )
    .argument('[service...]', 'only these services (and their dependencies)')
    .option('--no-up', 'do not build and start the services first')
    .option('--prune', 'remove the image a rebuild replaced (the default)')
    .option('--no-prune', 'keep the image a rebuild replaced')
    .option('--quiet', 'hide build output')
    .action(async (names: string[], flags: WatchFlags, cmd: Command) => {
      const stack = await loadStackFor(cmd, names);
      const services = selectServices(stack, names, true);
      const { watch } = await import('../ops/watch.js');
      const print = await progressPrinter(cmd);
      const sigint = interruptOnSigint();
      try {
        const ctx = await opContext(
          (e) => (flags.quiet && e.type === 'image' ? undefined : print(e)),
          sigint.signal,
        );
        await watch(ctx, stack, {
          services,
          noUp: flags.up === false,
          prune: flags.prune !== false,
          onLog: watchLine,
        });
      } finally {
        sigint.dispose();
      }
    });
}

/** Compose's watch lines: `⦿ Syncing service "app" after 1 changed file`; errors on stderr. */
export function watchLine(line: string, kind: 'info' | 'error' = 'info'): void {
  if (kind === 'error') process.stderr.write(`⦿ ${line}\n`);
  else process.stdout.write(`⦿ ${line}\n`);
}
