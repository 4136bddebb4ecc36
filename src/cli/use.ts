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
      'make a client the active one: stop the stack’s other clients (kept), bring this one up; several: run them side by side behind the router; no name: list clients',
    )
    .argument(
      '[clients...]',
      'client to switch to; several run together, reached at http://CLIENT.STACK.localhost:PORT',
    )
    .option('--wait-timeout <seconds>', 'give up waiting for health after this many seconds')
    .option('--format <format>', 'table or json (listing only)', 'table')
    .option('--no-wait', 'fail at once when another berth is changing the project (default: wait for it)')
    .option('--force', 'take the project over even when another checkout of the stack owns it')
    .option(
      '--clear',
      'forget the active client: plain commands use the stack without a client (nothing stops)',
    )
    .action(async (names: string[], opts: UseOptions, cmd: Command) => {
      const name = names[0];
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
      if (g.client !== undefined && (g.client !== name || names.length > 1))
        throw badInput(`--client ${g.client} and \`use ${names.join(' ')}\` disagree`, {
          hint: `run \`berth use ${names.join(' ')}\``,
        });
      const fromEnv = process.env.BERTH_CLIENT;
      if (fromEnv && fromEnv !== name)
        throw badInput(`BERTH_CLIENT=${fromEnv} is set, so plain commands would not act on ${name}`, {
          hint: 'unset BERTH_CLIENT (it overrides the active client), then run `berth use` again',
        });
      const { checkClientName } = await import('../stacks/state.js');
      for (const n of names) checkClientName(n);
      const dup = names.find((n, i) => names.indexOf(n) !== i);
      if (dup) throw badInput(`\`use ${names.join(' ')}\` names ${dup} twice`);
      if (names.length > 1) return switchTogether(cmd, names, opts);
      const t0 = Date.now();
      const { loadFromCli } = await import('./load.js');
      // Alone: on its own ports again, whatever ran behind the router before.
      const stack = loadFromCli(cmd, { client: name, routed: false });
      const [{ switchClient }, { progressPrinter, interruptOnSigint, opContext }, { routerSettings }] =
        await Promise.all([
          import('../ops/switch.js'),
          import('./lifecycle.js'),
          import('../stacks/router.js'),
        ]);
      const waitTimeoutMs = waitTimeoutOf(opts);
      const router = routerSettings(process.env);
      const sigint = interruptOnSigint();
      let r: Awaited<ReturnType<typeof switchClient>>;
      try {
        r = await switchClient(await opContext(await progressPrinter(cmd), sigint.signal), stack, {
          waitTimeoutMs,
          force: opts.force,
          router,
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

function waitTimeoutOf(opts: UseOptions): number | undefined {
  const ms = opts.waitTimeout === undefined ? undefined : Number(opts.waitTimeout) * 1000;
  if (ms !== undefined && !(ms > 0))
    throw badInput(`--wait-timeout ${opts.waitTimeout}: expected a number of seconds`);
  return ms;
}

/** `berth use A B …`: the clients side by side, each at its own host name on the router's port. */
async function switchTogether(cmd: Command, names: string[], opts: UseOptions): Promise<void> {
  const t0 = Date.now();
  const [{ loadFromCli }, { switchClients }, { progressPrinter, interruptOnSigint, opContext }, router] =
    await Promise.all([
      import('./load.js'),
      import('../ops/switch.js'),
      import('./lifecycle.js'),
      import('../stacks/router.js'),
    ]);
  const settings = router.routerSettings(process.env);
  const waitTimeoutMs = waitTimeoutOf(opts);
  // Every client is loaded (and its file errors reported) before anything changes.
  const stacks = names.map((n) => loadFromCli(cmd, { client: n, routed: true }));
  const sigint = interruptOnSigint();
  let r: Awaited<ReturnType<typeof switchClients>>;
  try {
    r = await switchClients(await opContext(await progressPrinter(cmd), sigint.signal), stacks, {
      waitTimeoutMs,
      force: opts.force,
      router: settings,
    });
  } finally {
    sigint.dispose();
  }
  if (r.errors.length > 0)
    process.stderr.write(
      `berth: could not stop every container of ${r.stopped.join(', ')}:\n  ${r.errors.join('\n  ')}\n`,
    );
  for (const { stack, up } of r.ups) {
    const result = up.result;
    if (result?.interrupted) {
      process.exitCode = 130;
      return;
    }
    if (result && !result.ok) {
      const failed = [...new Set(result.failures.map((f) => f.service))];
      process.stderr.write(
        `berth: ${stack.client}: ${failed.map((n) => `"${n}"`).join(', ')} failed; see above. The router was left as it was.\n`,
      );
      process.exitCode = ExitCode.StackFailure;
      return;
    }
  }
  const stackName = stacks[0]!.name;
  const secs = (ms: number) => (ms / 1000).toFixed(1);
  process.stderr.write(
    `${names.join(', ')} run side by side (${stackName}; ${names[0]} is the active client) in ${secs(Date.now() - t0)}s` +
      (r.stopped.length ? `, stopped ${r.stopped.join(', ')}` : '') +
      ':\n',
  );
  for (const n of names)
    process.stdout.write(`${router.routeUrl(router.routeHost(n, stackName), settings.port)}/\n`);
}
