import type { Command } from 'commander';
import { opContext } from './lifecycle.js';
import { reportErrors, targetAndServices } from './verb-target.js';

export function register(program: Command): void {
  program
    .command('kill')
    .description('send a signal (SIGKILL by default) to the running containers')
    .argument('[service...]', 'only these services')
    .option('-s, --signal <signal>', 'signal to send', 'SIGKILL')
    .action(async (names: string[], flags: { signal: string }, cmd: Command) => {
      const { target, services } = await targetAndServices(cmd, names);
      const { kill } = await import('../ops/signal.js');
      const r = await kill(await opContext(), target, { services, signal: flags.signal });
      for (const c of r.containers) process.stderr.write(` Container ${c.name}  Killed\n`);
      reportErrors(r.errors);
    });
}
