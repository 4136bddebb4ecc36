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
    .action(async (opts: LsOptions) => {
      if (opts.format !== 'table' && opts.format !== 'json')
        throw badInput(`--format ${opts.format}: expected table or json`);
      const { lifecycleEngine } = await import('../engine/light.js');
      const { listBerthContainers, listBerthLeftovers } = await import('../engine/projects.js');
      const { formatProjectTable, projectJson, summarizeProjects, visibleProjects } = await import(
        '../stacks/overview.js'
      );
      const { activeClientsOf } = await import('../stacks/active.js');
      const docker = await lifecycleEngine();
      const [containers, leftovers] = await Promise.all([
        listBerthContainers(docker),
        opts.all ? listBerthLeftovers(docker) : Promise.resolve([]),
      ]);
      const files = [...containers, ...leftovers].map((f) => f.file).filter((f): f is string => !!f);
      const rows = visibleProjects(
        summarizeProjects(containers, leftovers, await activeClientsOf(files)),
        !!opts.all,
      );
      if (opts.quiet) {
        for (const r of rows) process.stdout.write(`${r.name}\n`);
      } else if (opts.format === 'json') {
        process.stdout.write(`${JSON.stringify(projectJson(rows), null, 2)}\n`);
      } else {
        process.stdout.write(`${formatProjectTable(rows)}\n`);
      }
    });
}
