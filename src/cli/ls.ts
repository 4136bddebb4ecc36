import type { Command } from 'commander';
import { badInput } from '../errors.js';

interface LsOptions {
  all?: boolean;
  format: string;
  quiet?: boolean;
}

export function register(program: Command): void {
  program
    .command('ls')
    .description('list every berth project on the engine: stack, client, state, ports, stack file')
    .option('-a, --all', 'also list projects whose containers are gone but whose networks or volumes remain')
    .option('--format <format>', 'table or json', 'table')
    .option('-q, --quiet', 'only project names')
    .action(async (opts: LsOptions, cmd: Command) => {
      if (opts.format !== 'table' && opts.format !== 'json')
        throw badInput(`--format ${opts.format}: expected table or json`);
      const swarm = await import('./swarm.js');
      if (swarm.targetOf(cmd) === 'swarm') return swarm.swarmLs(cmd, opts.format);
      const [{ ls }, { formatProjectTable, projectJson }, { opContext }] = await Promise.all([
        import('../ops/ls.js'),
        import('../stacks/overview.js'),
        import('./lifecycle.js'),
      ]);
      const rows = await ls(await opContext(), { all: opts.all });
      if (opts.quiet) {
        for (const r of rows) process.stdout.write(`${r.name}\n`);
      } else if (opts.format === 'json') {
        process.stdout.write(`${JSON.stringify(projectJson(rows), null, 2)}\n`);
      } else {
        process.stdout.write(`${formatProjectTable(rows)}\n`);
      }
    });
}
