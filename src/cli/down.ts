import { type Command, Option } from 'commander';
import { badInput, ExitCode } from '../errors.js';
import { loadStackOrProject, opContext, progressPrinter } from './lifecycle.js';

interface DownFlags {
  volumes?: boolean;
  removeOrphans?: boolean;
  timeout?: string;
  force?: boolean;
  rmi?: 'local' | 'all';
}

export function register(program: Command): void {
  program
    .command('down')
    .description(
      'stop and remove the stack’s containers and networks (volumes only with -v, images only with --rmi)',
    )
    .option('-v, --volumes', 'also remove the named volumes of the stack and anonymous volumes')
    .addOption(
      new Option(
        '--rmi <type>',
        'also remove images: `local` only those berth built for services without `image:`, `all` every image the services use',
      ).choices(['local', 'all']),
    )
    .option('--remove-orphans', 'also remove containers of services not in the stack file')
    .option('--no-wait', 'fail at once when another berth is changing the project (default: wait for it)')
    .option('--force', 'remove the project’s objects even when another stack or checkout created them')
    .option('-t, --timeout <seconds>', 'seconds to wait for each container to stop before killing it')
    .action(async (flags: DownFlags, cmd: Command) => {
      const target = await loadStackOrProject(cmd);
      const swarm = await import('./swarm.js');
      if (swarm.targetOf(cmd, target.stack) === 'swarm') {
        // a swarm's images live on its nodes, which `docker stack rm` leaves alone too
        if (flags.rmi)
          throw badInput('`down --rmi` works on a single engine, not on a swarm', {
            hint: 'remove the images on each node with `docker image rm`',
          });
        return swarm.swarmDown(cmd, target.project, flags);
      }
      const { down } = await import('../ops/down.js');
      const ctx = await opContext(await progressPrinter(cmd));
      const r = await down(ctx, target, {
        volumes: flags.volumes,
        removeOrphans: flags.removeOrphans,
        force: flags.force,
        rmi: flags.rmi,
        timeoutSec: flags.timeout === undefined ? undefined : Number(flags.timeout),
      });
      if (r.nothing) process.stdout.write(`Nothing to remove for project ${target.project}.\n`);
      if (r.errors.length) {
        for (const e of r.errors) process.stderr.write(`berth: ${e}\n`);
        process.exitCode = ExitCode.StackFailure;
      }
    });
}
