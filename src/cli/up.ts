import type { Command } from 'commander';
import { runAbortController } from '../abort.js';
import { badInput, ExitCode } from '../errors.js';
import { globalsOf } from './globals.js';
import {
  colorWanted,
  interruptOnSigint,
  loadStackFor,
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
      const stack = await loadStackFor(cmd);
      const g = globalsOf(cmd);
      const services = await selectServices(stack, names, flags.deps !== false);
      const scale = parseScale(flags.scale, stack.services);
      const waitTimeoutMs = flags.waitTimeout === undefined ? undefined : Number(flags.waitTimeout) * 1000;
      if (waitTimeoutMs !== undefined && !(waitTimeoutMs > 0))
        throw badInput(`--wait-timeout ${flags.waitTimeout}: expected a number of seconds`);
      if (flags.forceRecreate && flags.recreate === false)
        throw badInput('--force-recreate and --no-recreate cannot be used together');
      const [{ lifecycleEngine }, { observe }, { planUp, formatPlan }, { presentImages }, { imageAction }] =
        await Promise.all([
          import('../engine/light.js'),
          import('../engine/observe.js'),
          import('../plan/index.js'),
          import('../engine/image-resolve.js'),
          import('../engine/images.js'),
        ]);
      // The read side needs no dockerode: a no-op `up` is three list calls and one inspect per image.
      const reader = await lifecycleEngine();
      const wanted = (services ?? Object.keys(stack.services)).map((s) => stack.services[s]!);
      const print = await progressPrinter(cmd);
      const [observed, present] = await Promise.all([
        observe(reader, stack.project),
        presentImages(
          reader,
          wanted.map((s) => s.image),
        ),
      ]);
      const ready = wanted.every((s) => {
        const p = present.get(s.image);
        return (
          imageAction(s, { exists: !!p, lastTagTime: p?.lastTagTime }, { build: flags.build }).do === 'none'
        );
      });
      let imageIds = new Map(wanted.map((s) => [s.name, present.get(s.image)?.id ?? '']));
      if (!ready && !flags.dryRun) {
        const [{ connectEngine }, { ensureImages }] = await Promise.all([
          import('../engine/client.js'),
          import('../engine/images.js'),
        ]);
        imageIds = await ensureImages(await connectEngine(), wanted, {
          stack: stack.name,
          // true: --build; false: --no-build; undefined: build only what is missing
          build: flags.build,
          onProgress: (p) => {
            if (p.kind === 'status')
              print({ type: 'image', service: p.service, message: `${p.image} ${p.message}` });
          },
        });
      }
      const plan = planUp(stack, observed, {
        imageIds: Object.fromEntries(imageIds),
        services,
        forceRecreate: flags.forceRecreate,
        noRecreate: flags.recreate === false,
        removeOrphans: flags.removeOrphans,
        scale,
      });
      if (flags.dryRun) {
        process.stdout.write(formatPlan(plan));
        return;
      }
      const kept = flags.removeOrphans ? [] : plan.orphans;
      if (kept.length)
        print({
          type: 'warning',
          message: `found orphan containers (${kept.map((o) => o.name).join(', ')}) for project ${stack.project}: their services are not in the stack file; \`berth up --remove-orphans\` removes them`,
        });
      const detach = flags.detach || flags.wait;
      if (plan.actions.length === 0 && !flags.wait) {
        process.stdout.write(formatPlan({ ...plan, orphans: [] }));
        if (detach) return;
      } else {
        const docker = reader;
        const [{ checkPorts }, { runUp }] = await Promise.all([
          import('../executor/preflight.js'),
          import('../executor/up.js'),
        ]);
        await checkPorts(docker, stack, plan);
        const sigint = interruptOnSigint();
        try {
          const result = await runUp(docker, stack, plan, {
            signal: sigint.signal,
            onEvent: print,
            wait: flags.wait,
            waitTimeoutMs,
          });
          if (result.interrupted) {
            process.stderr.write(
              'berth: interrupted; the stack is partly up, and `berth up` again converges it\n',
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
        } finally {
          sigint.dispose();
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
  stack: import('../compose/types.js').Stack,
  services: string[] | undefined,
  print: import('../executor/events.js').RunListener,
  color: boolean,
  began: number,
): Promise<void> {
  const [{ followLogs, streamSink }, { connectEngine }, { listProjectContainers }, { runStop }] =
    await Promise.all([
      import('../logs/index.js'),
      import('../engine/client.js'),
      import('../engine/observe.js'),
      import('../executor/stop.js'),
    ]);
  const docker = await connectEngine();
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
      docker,
      clients: () => clientsOf(stack),
      stopStack: async (progress) => {
        const containers = (await listProjectContainers(docker, stack.project)).filter(
          (c) => !c.oneoff && (!services || services.includes(c.service)),
        );
        const onEvent = plainRenderer({
          color: false,
          write: (s) => s.split('\n').filter(Boolean).forEach(progress),
        });
        await runStop(docker, stack, containers, { onEvent });
      },
    });
    process.exitCode = 130;
    return;
  }
  const ac = runAbortController();
  const stop = () => ac.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
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
        docker,
      },
      sink,
    );
  } finally {
    process.removeListener('SIGINT', stop);
    process.removeListener('SIGTERM', stop);
  }
  if (!ac.signal.aborted) return; // the stack went away by itself
  process.stderr.write('Gracefully stopping... (press Ctrl-C again to force)\n');
  const force = () => process.exit(130);
  process.once('SIGINT', force);
  const containers = (await listProjectContainers(docker, stack.project)).filter(
    (c) => !c.oneoff && (!services || services.includes(c.service)),
  );
  await runStop(docker, stack, containers, { onEvent: print });
  process.removeListener('SIGINT', force);
  process.exitCode = 130;
  void cmd;
}
