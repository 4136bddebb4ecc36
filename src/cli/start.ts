import type { Command } from 'commander';
import { BerthError, ExitCode } from '../errors.js';
import type { Stack } from '../compose/types.js';
import { interruptOnSigint, loadStackFor, progressPrinter, selectServices } from './lifecycle.js';

/** Start existing containers through the `up` executor, so dependency conditions are honoured. */
export async function startExisting(cmd: Command, stack: Stack, names: string[]): Promise<void> {
  const selected = await selectServices(stack, names, false);
  const [{ lifecycleEngine }, { observe }, { planStart }, { runUp }] = await Promise.all([
    import('../engine/light.js'),
    import('../engine/observe.js'),
    import('../plan/index.js'),
    import('../executor/up.js'),
  ]);
  const docker = await lifecycleEngine();
  const observed = await observe(docker, stack.project);
  const plan = planStart(stack, observed, selected);
  if (!plan.actions.length && !plan.unchanged.length)
    throw new BerthError(`no containers to start for project ${stack.project}`, {
      hint: 'create them with `berth up`',
    });
  const sigint = interruptOnSigint();
  try {
    const result = await runUp(docker, stack, plan, {
      signal: sigint.signal,
      onEvent: await progressPrinter(cmd),
    });
    if (result.interrupted) process.exitCode = 130;
    else if (!result.ok) process.exitCode = ExitCode.StackFailure;
  } finally {
    sigint.dispose();
  }
}

export function register(program: Command): void {
  program
    .command('start')
    .description('start existing containers of the stack, dependencies first')
    .argument('[service...]', 'only these services')
    .action(async (names: string[], _flags: unknown, cmd: Command) => {
      await startExisting(cmd, await loadStackFor(cmd), names);
    });
}
