import type { Command } from 'commander';
import { badInput } from '../errors.js';
import { globalsOf } from './globals.js';

interface UseOptions {
  format: string;
  clear?: boolean;
  waitTimeout?: string;
}

export function register(program: Command): void {
  program
    .command('use')
    .description(
      'make a client the active one: stop the stack’s other clients (kept), bring this one up; no name: list clients',
    )
    .argument('[client]', 'client to switch to')
    .option('--wait-timeout <seconds>', 'give up waiting for health after this many seconds')
    .option('--format <format>', 'table or json (listing only)', 'table')
    .option(
      '--clear',
      'forget the active client: plain commands use the stack without a client (nothing stops)',
    )
    .action(async (name: string | undefined, opts: UseOptions, cmd: Command) => {
      if (opts.format !== 'table' && opts.format !== 'json')
        throw badInput(`--format ${opts.format}: expected table or json`);
      const g = globalsOf(cmd);
      if (opts.clear) {
        if (name !== undefined) throw badInput('`berth use --clear` takes no client name');
        const [{ loadFromCli }, { writeActiveClient }, { stackDirOf }] = await Promise.all([
          import('./load.js'),
          import('../stacks/state.js'),
          import('../stacks/use.js'),
        ]);
        const stack = loadFromCli(cmd, { client: '', quiet: true });
        await writeActiveClient(stackDirOf(stack), undefined);
        process.stderr.write(
          `no active client for ${stack.name}: plain commands use the stack without a client\n`,
        );
        return;
      }
      if (name === undefined) return showClients(cmd, opts.format === 'json');
      if (g.projectName)
        throw badInput('`berth use` records the client for the stack file; it cannot be combined with -p', {
          hint: `run it without -p, or use \`berth -p ${g.projectName} --client ${name} up -d\` for a one-off`,
        });
      if (g.client !== undefined && g.client !== name)
        throw badInput(`--client ${g.client} and \`use ${name}\` disagree`, {
          hint: `run \`berth use ${name}\``,
        });
      const fromEnv = process.env.BERTH_CLIENT;
      if (fromEnv && fromEnv !== name)
        throw badInput(`BERTH_CLIENT=${fromEnv} is set, so plain commands would not act on ${name}`, {
          hint: 'unset BERTH_CLIENT (it overrides the active client), then run `berth use` again',
        });
      const { checkClientName } = await import('../stacks/state.js');
      checkClientName(name);
      const t0 = Date.now();
      const { loadFromCli } = await import('./load.js');
      const stack = loadFromCli(cmd, { client: name });
      // The light client on a local socket: a switch should not pay dockerode's import time.
      const [{ lifecycleEngine }, { planSwitch, recordActive, stopOtherClients }, { progressPrinter }] =
        await Promise.all([
          import('../engine/light.js'),
          import('../stacks/use.js'),
          import('./lifecycle.js'),
        ]);
      const docker = await lifecycleEngine();
      const plan = await planSwitch(docker, stack);
      await recordActive(stack, name);
      const print = await progressPrinter(cmd);
      const stopped = [...new Set(plan.stopping.map((c) => c.project))];
      // Port holders stop first, so the new client's port check and binds find the ports free; everything
      // else of the other clients stops while the new client starts (a switch waits for one chain, not two).
      const errors = await stopOtherClients(docker, stack, plan.first, print);
      const rest = stopOtherClients(docker, stack, plan.later, print);
      // Bring the client up exactly as `berth up --wait` does (images, plan, port preflight, executor, health).
      const up = program.commands.find((c) => c.name() === 'up');
      if (!up) throw new Error('the up verb is not registered');
      const args = ['--wait'];
      if (opts.waitTimeout !== undefined) args.push('--wait-timeout', opts.waitTimeout);
      try {
        await up.parseAsync(args, { from: 'user' });
      } finally {
        errors.push(...(await rest));
        if (errors.length > 0)
          process.stderr.write(
            `berth: could not stop every container of ${stopped.join(', ')}:\n  ${errors.join('\n  ')}\n`,
          );
      }
      if (process.exitCode) return;
      const secs = ((Date.now() - t0) / 1000).toFixed(1);
      process.stderr.write(
        `${name} is the active client of ${stack.name} (project ${stack.project})${
          stopped.length ? `; stopped ${stopped.join(', ')}` : ''
        } in ${secs}s\n`,
      );
    });
}

async function showClients(cmd: Command, json: boolean): Promise<void> {
  const [
    { loadFromCli },
    { listClients },
    { readActiveClient },
    { clientOverview, formatClientOverview, stackDirOf },
  ] = await Promise.all([
    import('./load.js'),
    import('../compose/index.js'),
    import('../stacks/state.js'),
    import('../stacks/use.js'),
  ]);
  // The base stack (no client) is enough to know the stack's name, folder and inline clients.
  const stack = loadFromCli(cmd, { client: '', quiet: true });
  const dir = stackDirOf(stack);
  const [active, containers] = await Promise.all([
    readActiveClient(dir),
    // The listing is useful without an engine too: states are then simply unknown.
    import('../engine/light.js')
      .then(({ lifecycleEngine }) => lifecycleEngine())
      .then(async (docker) =>
        (await import('../engine/projects.js')).listBerthContainers(docker, { stack: stack.name }),
      )
      .catch(() => []),
  ]);
  const rows = clientOverview(listClients(stack), stack, (c) => `${stack.name}-${c}`, active, containers);
  if (json) {
    process.stdout.write(
      `${JSON.stringify({ stack: stack.name, active: active ?? null, clients: rows }, null, 2)}\n`,
    );
  } else {
    process.stdout.write(`${formatClientOverview(stack.name, rows)}\n`);
  }
}
