// `berth create`: Compose's `create`, that is `up --no-start`: networks, volumes and containers are made (or
// replaced when their configuration changed) and nothing is started; a later `berth start` or `berth up` starts
// them, dependencies first.
import type { Command } from 'commander';
import { badInput } from '../errors.js';
import { interruptOnSigint, loadStackFor, opContext, progressPrinter, selectServices } from './lifecycle.js';
import { targetOf } from './target.js';
import { createFlags, PULL_OPTION, parsePull, parseScale, reportOutcome } from './up.js';

interface CreateFlags {
  build?: boolean;
  forceRecreate?: boolean;
  recreate?: boolean;
  removeOrphans?: boolean;
  pull?: string;
  quietPull?: boolean;
  scale: string[];
  dryRun?: boolean;
  yes?: boolean;
  force?: boolean;
}

const collect = (v: string, prev: string[] = []) => [...prev, v];

export function register(program: Command): void {
  program
    .command('create')
    .description('create networks, volumes and containers for the stack, and start nothing')
    .argument('[service...]', 'only these services (and their dependencies)')
    .option('--build', 'build images before creating containers')
    .option('--no-build', 'never build, even a missing image')
    .option(...PULL_OPTION)
    .option('--quiet-pull', 'pull without printing progress')
    .option('--force-recreate', 'recreate containers even when their configuration did not change')
    .option('--no-recreate', 'keep existing containers even when their configuration changed')
    .option('--remove-orphans', 'remove containers of services that are no longer in the stack file')
    .option('--scale <service=n>', 'create n replicas of a service (repeatable)', collect, [])
    .option('-y, --yes', 'answer yes to every question (berth asks none; accepted as Compose does)')
    .option('--dry-run', 'print what would be done and change nothing')
    .option('--force', 'use objects of the project’s names that another stack, checkout or tool created')
    .action(async (names: string[], flags: CreateFlags, cmd: Command) => {
      const stack = await loadStackFor(cmd, names);
      if (targetOf(cmd, stack) === 'swarm')
        throw badInput('`berth create` makes containers on the local engine; a swarm target has none', {
          hint: 'run `berth up --target swarm` to deploy',
        });
      createFlags(flags);
      const services = selectServices(stack, names, true);
      const scale = parseScale(flags.scale, stack.services);
      const pull = parsePull(flags.pull);
      const [{ up }, { formatPlan }] = await Promise.all([
        import('../ops/up.js'),
        import('../plan/format.js'),
      ]);
      const print = await progressPrinter(cmd);
      const sigint = interruptOnSigint();
      try {
        const outcome = await up(await opContext(print, sigint.signal), stack, {
          services,
          build: flags.build,
          forceRecreate: flags.forceRecreate,
          noRecreate: flags.recreate === false,
          removeOrphans: flags.removeOrphans,
          scale,
          pull,
          quietPull: flags.quietPull,
          noStart: true,
          dryRun: flags.dryRun,
          force: flags.force,
        });
        if (flags.dryRun) process.stdout.write(formatPlan(outcome.plan));
        else reportOutcome(outcome, formatPlan);
      } finally {
        sigint.dispose();
      }
    });
}
