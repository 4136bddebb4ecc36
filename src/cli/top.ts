import type { Command } from 'commander';
import { opContext } from './lifecycle.js';
import { targetAndServices } from './verb-target.js';

/** Columns padded to their widest cell, the last one left as is (it is the command line). */
export function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows
    .map((r) =>
      r
        .map((v, i) => (i === r.length - 1 ? v : v.padEnd(widths[i]!)))
        .join('   ')
        .trimEnd(),
    )
    .map((l) => `${l}\n`)
    .join('');
}

export function register(program: Command): void {
  program
    .command('top')
    .description('the processes running in each container')
    .argument('[service...]', 'only these services')
    .action(async (names: string[], _flags: unknown, cmd: Command) => {
      const { target, services } = await targetAndServices(cmd, names);
      const { top } = await import('../ops/inspect.js');
      const entries = await top(await opContext(), target, { services });
      // Compose's shape: the container's name, then its process table, then a blank line
      for (const e of entries)
        process.stdout.write(
          `${e.container.name}\n${table([e.processes.titles, ...e.processes.processes])}\n`,
        );
    });
}
