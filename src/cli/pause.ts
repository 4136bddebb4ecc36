import type { Command } from 'commander';
import { opContext } from './lifecycle.js';
import { reportErrors, targetAndServices } from './verb-target.js';

export function register(program: Command): void {
  for (const verb of ['pause', 'unpause'] as const)
    program
      .command(verb)
      .description(verb === 'pause' ? 'freeze the running containers' : 'thaw paused containers')
      .argument('[service...]', 'only these services')
      .action(async (names: string[], _flags: unknown, cmd: Command) => {
        const { target, services } = await targetAndServices(cmd, names);
        const ops = await import('../ops/signal.js');
        const r = await ops[verb](await opContext(), target, { services });
        const word = verb === 'pause' ? 'Paused' : 'Unpaused';
        for (const c of r.containers) process.stderr.write(` Container ${c.name}  ${word}\n`);
        reportErrors(r.errors);
      });
}
