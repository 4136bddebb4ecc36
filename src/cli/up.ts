import type { Command } from 'commander';
import { runAbortController } from '../abort.js';
import { badInput, ExitCode } from '../errors.js';
import { globalsOf } from './globals.js';
import {
  colorWanted,
  interruptOnSigint,
  loadStackFor,
  opContext,
  progressPrinter,
  selectServices,
} from './lifecycle.js';

interface UpFlags {
  detach?: boolean;
  wait?: boolean;
  waitTimeout?: string;
  build?: boolean;
  deps?: boolean;
  forceRecreate?: boolean;
  recreate?: boolean;
  removeOrphans?: boolean;
  dryRun?: boolean;
  scale: string[];
}

const collect = (v: string, prev: string[] = []) => [...prev, v];

export function parseScale(values: string[], services: Record<string, unknown>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) {
    const m = /^([^=]+)=(\d+)$/.exec(v);
    if (!m) throw badInput(`--scale ${v}: expected SERVICE=NUMBER`);
    if (!(m[1]! in services)) throw badInput(`--scale ${v}: no such service: ${m[1]}`);
    out[m[1]!] = Number(m[2]);
  }
  return out;
}

export function register(program: Command): void {
  program
    .command('up')
    .description('create and start the stack, changing only what differs from the stack file')
    .argument('[service...]', 'only these services (and their dependencies)')
    .option('-d, --detach', 'start in the background and return')
    .option('--wait', 'wait until every service is running and healthy (implies -d)')
    .option('--wait-timeout <seconds>', 'give up waiting after this many seconds')
    .option('--build', 'build images before starting')
    .option('--no-build', 'never build, even a missing image')
    .option('--no-deps', 'do not start the services the named ones depend on')
    .option('--force-recreate', 'recreate containers even when their configuration did not change')
    .option('--no-recreate', 'keep existing containers even when their configuration changed')
    .option('--remove-orphans', 'remove containers of services that are no longer in the stack file')
    .option('--dry-run', 'print what would be done and change nothing')
    .option('--scale <service=n>', 'run n replicas of a service (repeatable)', collect, [])
    .action(async (names: string[], flags: UpFlags, cmd: Command) => {
      const began = Date.now();
      const stack = await loadStackFor(cmd, names);
      const swarm = await import('./swarm.js');
      if (swarm.targetOf(cmd, stack) === 'swarm') return swarm.swarmUp(cmd, stack, flags);
      const g = globalsOf(cmd);
      const services = selectServices(stack, names, flags.deps !== false);
      const scale = parseScale(flags.scale, stack.services);
      const waitTimeoutMs = flags.waitTimeout === undefined ? undefined : Number(flags.waitTimeout) * 1000;
      if (waitTimeoutMs !== undefined && !(waitTimeoutMs > 0))
        throw badInput(`--wait-timeout ${flags.waitTimeout}: expected a number of seconds`);
      if (flags.forceRecreate && flags.recreate === false)
        throw badInput('--force-recreate and --no-recreate cannot be used together');
      const [{ up }, { formatPlan }] = await Promise.all([
        import('../ops/up.js'),
        import('../plan/format.js'),
      ]);
      const print = await progressPrinter(cmd);
      const detach = flags.detach || flags.wait;
      const sigint = interruptOnSigint();
      let outcome: Awaited<ReturnType<typeof up>>;
      try {
        outcome = await up(await opContext(print, sigint.signal), stack, {
          services,
          build: flags.build,
          forceRecreate: flags.forceRecreate,
          noRecreate: flags.recreate === false,
          removeOrphans: flags.removeOrphans,
          scale,
          wait: flags.wait,
          waitTimeoutMs,
          dryRun: flags.dryRun,
        });
      } finally {
        sigint.dispose();
      }
      const { plan, result } = outcome;
      if (flags.dryRun) {
        process.stdout.write(formatPlan(plan));
        return;
      }
      if (!result) {
        process.stdout.write(formatPlan({ ...plan, orphans: [] }));
        if (detach) return;
      } else {
        if (result.interrupted) {
          process.stderr.write(
            plan.actions.length === 0
              ? 'berth: interrupted; nothing was changed\n'
              : 'berth: interrupted; the stack is partly up, and `berth up` again converges it\n',
          );
          process.exitCode = 130;
          return;
        }
        if (!result.ok) {
          const names = [...new Set(result.failures.map((f) => f.service))];
          process.stderr.write(`berth: ${names.map((n) => `"${n}"`).join(', ')} failed; see above\n`);
          process.exitCode = ExitCode.StackFailure;
          return;
        }
        if (detach) return;
      }
      await attach(cmd, stack, services, print, colorWanted(cmd) && !g.noColor, began);
    });
}

/**
 * Attached `up` without a terminal: prefixed logs until Ctrl-C, then stop the stack, as Compose does.
 * TODO(tui issue): on a terminal, attached `up` opens the TUI; until then it prints the same feed.
 */
async function attach(
  cmd: Command,
  stack: import('../model/stack.js').Stack,
  services: string[] | undefined,
  print: import('../executor/events.js').RunListener,
  color: boolean,
  began: number,
): Promise<void> {
  const [{ followLogs, streamSink }, { stop }] = await Promise.all([
    import('../logs/index.js'),
    import('../ops/lifecycle.js'),
  ]);
  const ctx = await opContext();
  const docker = ctx.engine;
  const target = { stack, project: stack.project };
  // On a terminal, attached `up` is the UI (src/tui): q or Ctrl-C there stops the stack, its progress shown in it.
  if (process.stdout.isTTY && process.stdin.isTTY) {
    const [{ runUi }, { uiTargetOf, clientsOf }, { plainRenderer }] = await Promise.all([
      import('../tui/index.js'),
      import('./ui.js'),
      import('../executor/render.js'),
    ]);
    await runUi({
      ...uiTargetOf(stack, stack.project),
      color,
      engine: docker,
      clients: () => clientsOf(stack),
      stopStack: async (progress) => {
        const onEvent = plainRenderer({
          color: false,
          write: (s) => s.split('\n').filter(Boolean).forEach(progress),
        });
        await stop({ ...ctx, onEvent }, target, { services });
      },
    });
    process.exitCode = 130;
    return;
  }
  const ac = runAbortController();
  const quit = () => ac.abort();
  process.once('SIGINT', quit);
  process.once('SIGTERM', quit);
  const sink = streamSink(
    process.stdout,
    { color, prefix: true, timestamps: false },
    Object.keys(stack.services),
  );
  try {
    await followLogs(
      // from when this `up` began: the lines of containers it just started, not old history
      {
        project: stack.project,
        services: services ?? [],
        follow: true,
        since: String(Math.floor(began / 1000)),
        signal: ac.signal,
        engine: docker,
      },
      sink,
    );
  } finally {
    process.removeListener('SIGINT', quit);
    process.removeListener('SIGTERM', quit);
  }
  if (!ac.signal.aborted) return; // the stack went away by itself
  process.stderr.write('Gracefully stopping... (press Ctrl-C again to force)\n');
  const force = () => process.exit(130);
  process.once('SIGINT', force);
  await stop({ ...ctx, onEvent: print }, target, { services });
  process.removeListener('SIGINT', force);
  process.exitCode = 130;
  void cmd;
}
