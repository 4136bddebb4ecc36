import type { Command } from 'commander';
import { parseIndex } from './snapshot.js';

interface DiffOptions {
  index?: number;
  format: string;
}

export function register(program: Command): void {
  program
    .command('diff')
    .description("list what changed in a service container's filesystem (A added, C changed, D deleted)")
    .argument('<service>', 'service to inspect')
    .option('--index <n>', 'replica to inspect (default: 1)', parseIndex)
    .option('--format <format>', 'table or json', 'table')
    .action(async (service: string, opts: DiffOptions, cmd: Command) => {
      const { checkFormat, serviceTarget } = await import('./snapshot.js');
      checkFormat(opts.format);
      const index = opts.index;
      const target = await serviceTarget(cmd, service);
      const [{ opContext }, { diff }, { formatChanges }] = await Promise.all([
        import('./lifecycle.js'),
        import('../ops/snapshot.js'),
        import('../stacks/snapshots.js'),
      ]);
      const changes = await diff(await opContext(), {
        project: target.project,
        service,
        index,
      });
      if (opts.format === 'json') process.stdout.write(`${JSON.stringify(changes, null, 2)}\n`);
      else if (changes.length > 0) process.stdout.write(`${formatChanges(changes)}\n`);
    });
}
