import type { Command } from 'commander';
import { ExitCode } from '../errors.js';
import { loadTargetServices, opContext, progressPrinter } from './lifecycle.js';

interface RmFlags {
  force?: boolean;
  stop?: boolean;
  volumes?: boolean;
}

export function register(program: Command): void {
  program
    .command('rm')
    .description('remove stopped containers of the stack (running ones only with -s)')
    .argument('[service...]', 'only these services')
    .option('-f, --force', 'do not ask for confirmation (berth never asks; accepted as in Compose)')
    .option('-s, --stop', 'stop running containers first')
    .option('-v, --volumes', 'remove anonymous volumes attached to the containers')
    .action(async (names: string[], flags: RmFlags, cmd: Command) => {
      const { services, ...target } = await loadTargetServices(cmd, names);
      const { rm } = await import('../ops/lifecycle.js');
      const r = await rm(await opContext(await progressPrinter(cmd)), target, {
        services,
        stop: flags.stop,
        volumes: flags.volumes,
      });
      if (r.kept.length)
        process.stderr.write(
          `berth: kept running containers (${r.kept.map((c) => c.name).join(', ')}); \`berth rm -s\` stops and removes them\n`,
        );
      if (!r.containers.length) process.stdout.write('No stopped containers\n');
      if (r.errors.length) process.exitCode = ExitCode.StackFailure;
    });
}
