// `berth scale SERVICE=N...`: Compose's `scale`, that is `up -d --scale SERVICE=N --no-recreate SERVICE...`:
// replicas are added or removed, the ones that exist are left as they are, even when the file changed since.
import type { Command } from 'commander';
import { badInput } from '../errors.js';
import { interruptOnSigint, loadStackFor, opContext, progressPrinter, selectServices } from './lifecycle.js';
import { targetOf } from './target.js';
import { parseScale, reportOutcome } from './up.js';

/** Compose's `SERVICE=REPLICAS` arguments; a service named twice takes the last number, as there. */
export function parseScaleArgs(args: readonly string[]): string[] {
  for (const a of args) {
    const [key, value] = [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)];
    if (!a.includes('=') || !key || !value) throw badInput(`invalid scale specifier: ${a}`);
    if (!/^\d+$/.test(value))
      throw badInput(`invalid scale specifier: can't parse replica value as a number: ${a}`);
  }
  return [...args];
}

export function register(program: Command): void {
  program
    .command('scale')
    .description('set the number of containers of services (as `up -d --scale SERVICE=N --no-recreate`)')
    .argument('<service=replicas...>', 'a service and how many containers it should have')
    .option('--no-deps', 'do not start the services the named ones depend on')
    .option('--dry-run', 'print what would be done and change nothing')
    .action(async (args: string[], flags: { deps?: boolean; dryRun?: boolean }, cmd: Command) => {
      parseScaleArgs(args);
      const names = [...new Set(args.map((a) => a.slice(0, a.indexOf('='))))];
      const stack = await loadStackFor(cmd, names);
      if (targetOf(cmd, stack) === 'swarm')
        throw badInput('`berth scale` changes containers on the local engine', {
          hint: 'on a swarm: `berth --target swarm up --scale SERVICE=N` (or set deploy.replicas in the file)',
        });
      const scale = parseScale(args, stack.services);
      const services = selectServices(stack, names, flags.deps !== false);
      const [{ up }, { formatPlan }] = await Promise.all([
        import('../ops/up.js'),
        import('../plan/format.js'),
      ]);
      const sigint = interruptOnSigint();
      try {
        const outcome = await up(await opContext(await progressPrinter(cmd), sigint.signal), stack, {
          services,
          scale,
          noRecreate: true,
          dryRun: flags.dryRun,
        });
        if (flags.dryRun) process.stdout.write(formatPlan(outcome.plan));
        else reportOutcome(outcome, formatPlan);
      } finally {
        sigint.dispose();
      }
    });
}
