import type { Command } from 'commander';
import { badInput, ExitCode } from '../errors.js';
import { globalsOf } from './globals.js';

interface UseOptions {
  format: string;
  clear?: boolean;
  waitTimeout?: string;
  force?: boolean;
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
    .option('--no-wait', 'fail at once when another berth is changing the project (default: wait for it)')
    .option('--force', 'take the project over even when another checkout of the stack owns it')
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
      const [{ switchClient }, { progressPrinter, interruptOnSigint, opContext }] = await Promise.all([
        import('../ops/switch.js'),
        import('./lifecycle.js'),
      ]);
      const waitTimeoutMs = opts.waitTimeout === undefined ? undefined : Number(opts.waitTimeout) * 1000;
      if (waitTimeoutMs !== undefined && !(waitTimeoutMs > 0))
        throw badInput(`--wait-timeout ${opts.waitTimeout}: expected a number of seconds`);
      const sigint = interruptOnSigint();
      let r: Awaited<ReturnType<typeof switchClient>>;
      try {
        r = await switchClient(await opContext(await progressPrinter(cmd), sigint.signal), stack, {
          waitTimeoutMs,
          force: opts.force,
        });
      } finally {
        sigint.dispose();
      }
      if (r.errors.length > 0)
        process.stderr.write(
          `berth: could not stop every container of ${r.stopped.join(', ')}:\n  ${r.errors.join('\n  ')}\n`,
        );
      const result = r.up.result;
      if (result?.interrupted) {
        process.exitCode = 130;
        return;
      }
      if (result && !result.ok) {
        const names = [...new Set(result.failures.map((f) => f.service))];
        process.stderr.write(`berth: ${names.map((n) => `"${n}"`).join(', ')} failed; see above\n`);
        process.exitCode = ExitCode.StackFailure;
        return;
      }
      const secs = (ms: number) => (ms / 1000).toFixed(1);
      process.stderr.write(
        `${name} is the active client of ${stack.name} (project ${stack.project}) in ${secs(Date.now() - t0)}s: ` +
          (r.stopped.length
            ? `stopped ${r.stopped.join(', ')} (its port holders in ${secs(r.stopMs)}s, while this one started), `
            : '') +
          `started in ${secs(r.startMs)}s\n`,
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
    Promise.all([import('./lifecycle.js'), import('../ops/ls.js')])
      .then(async ([{ opContext }, { berthContainers }]) =>
        berthContainers(await opContext(), { stack: stack.name }),
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
