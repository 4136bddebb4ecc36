import { type Command, Option } from 'commander';
import { runAbortController } from '../abort.js';
import { badInput, ExitCode } from '../errors.js';
import { isOneOff, projectSelector } from '../model/index.js';
import type { PullFlag } from '../ops/up.js';
import { hideCiFromInk } from '../tui/interactive-env.js';
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
  renewAnonVolumes?: boolean;
  recreate?: boolean;
  removeOrphans?: boolean;
  dryRun?: boolean;
  scale: string[];
  abortOnContainerExit?: boolean;
  exitCodeFrom?: string;
  attach: string[];
  noAttach: string[];
  timestamps?: boolean;
  force?: boolean;
  watch?: boolean;
  /** `--no-start` (commander's negation). */
  start?: boolean;
  pull?: string;
  quietPull?: boolean;
  timeout?: string;
  /** `--no-log-prefix` (commander's negation). */
  logPrefix?: boolean;
  alwaysRecreateDeps?: boolean;
  abortOnContainerFailure?: boolean;
}

/** What an attached `up` shows and when it ends: Compose's --attach, --no-attach, --abort-on-container-exit. */
export interface AttachOptions {
  /** Services whose logs are shown (all the started ones when undefined). */
  logServices?: string[];
  timestamps: boolean;
  /** Stop everything when a container exits (`onlyFailure`: exits non-zero). */
  abort: boolean;
  onlyFailure: boolean;
  /** Log lines without the `service-n | ` prefix (`--no-log-prefix`). */
  noPrefix: boolean;
  /** `-t`: grace period in seconds when the feed ends and the stack is stopped. */
  timeoutSec?: number;
  /** The service whose exit code is berth's (implies abort). */
  exitCodeFrom?: string;
}

export function attachOptions(flags: UpFlags, services: readonly string[]): AttachOptions {
  for (const s of [...flags.attach, ...flags.noAttach, ...(flags.exitCodeFrom ? [flags.exitCodeFrom] : [])])
    if (!services.includes(s))
      throw badInput(`no such service: ${s}`, { hint: `services: ${services.join(', ')}` });
  if (flags.abortOnContainerExit && flags.abortOnContainerFailure)
    throw badInput('--abort-on-container-failure cannot be combined with --abort-on-container-exit');
  // As Compose: --exit-code-from implies --abort-on-container-exit unless --abort-on-container-failure is given.
  const onlyFailure = Boolean(flags.abortOnContainerFailure);
  const abort = Boolean(flags.abortOnContainerExit || flags.exitCodeFrom || onlyFailure);
  if (abort && (flags.detach || flags.wait))
    throw badInput(
      '--abort-on-container-exit, --abort-on-container-failure and --exit-code-from cannot be used with -d or --wait',
    );
  if (flags.start === false && (abort || flags.attach.length || flags.wait || flags.watch))
    throw badInput(
      '--no-start cannot be used with --abort-on-container-exit, --abort-on-container-failure, --exit-code-from, --attach, --wait or --watch',
    );
  const shown = flags.attach.length ? flags.attach : undefined;
  const logServices = flags.noAttach.length
    ? (shown ?? [...services]).filter((s) => !flags.noAttach.includes(s))
    : shown;
  return {
    logServices,
    timestamps: Boolean(flags.timestamps),
    abort,
    onlyFailure,
    noPrefix: flags.logPrefix === false,
    exitCodeFrom: flags.exitCodeFrom,
    timeoutSec: parseTimeout(flags.timeout),
  };
}

/** The values of Compose's `--pull` besides `policy` (here, not in ops/up.ts: verb modules stay light). */
const PULL_FLAGS: readonly PullFlag[] = ['always', 'missing', 'never', 'build'];

/** `--pull`: Compose's values; `policy` (its default) leaves each service's pull_policy as it is. */
export function parsePull(value: string | undefined): PullFlag | undefined {
  if (value === undefined || value === 'policy') return undefined;
  if ((PULL_FLAGS as readonly string[]).includes(value)) return value as PullFlag;
  throw badInput(`invalid --pull option "${value}"`, {
    hint: `expected one of: ${[...PULL_FLAGS, 'policy'].join(', ')}`,
  });
}

/** `-t, --timeout SECONDS`: a whole number of seconds, 0 included (stop at once), as Compose's int flag. */
export function parseTimeout(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw badInput(`--timeout ${value}: expected a whole number of seconds`);
  return Number(value);
}

/**
 * `--always-recreate-deps`, as Compose: the services brought up only because a named one depends on them. With
 * no service named, every service is named, so there are none.
 */
export function dependenciesOf(named: readonly string[], selected: readonly string[] | undefined): string[] {
  if (!named.length) return [];
  return (selected ?? []).filter((s) => !named.includes(s));
}

/** What `up` and `create` share: how images are made and which containers are replaced. */
export function createFlags(flags: {
  build?: boolean;
  forceRecreate?: boolean;
  recreate?: boolean;
  renewAnonVolumes?: boolean;
  alwaysRecreateDeps?: boolean;
}): void {
  if (flags.forceRecreate && flags.recreate === false)
    throw badInput('--force-recreate and --no-recreate cannot be used together');
  if (flags.alwaysRecreateDeps && flags.recreate === false)
    throw badInput('--always-recreate-deps and --no-recreate cannot be used together');
  if (flags.renewAnonVolumes && flags.recreate === false)
    throw badInput('--no-recreate and --renew-anon-volumes cannot be used together');
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

/** `--no-attach SERVICE`, Compose's name: commander reads `--no-x` as the negation of `--x`, so opt out of that. */
function noAttachOption(): Option {
  const o = new Option('--no-attach <service>', 'do not show the logs of this service (repeatable)')
    .argParser(collect)
    .default([]);
  o.negate = false;
  return o;
}

/** `--pull`, as `up`, `create` and `run` take it. */
export const PULL_OPTION = [
  '--pull <policy>',
  'pull images: always, missing, never, build, or policy (each service’s pull_policy; the default)',
] as const;

export const TIMEOUT_OPTION = [
  '-t, --timeout <seconds>',
  'seconds a container being stopped or recreated gets before it is killed (default: its stop_grace_period)',
] as const;

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
    .option('--no-start', 'create networks, volumes and containers, and start nothing (as `berth create`)')
    .option(...PULL_OPTION)
    .option('--quiet-pull', 'pull without printing progress')
    .option(...TIMEOUT_OPTION)
    .option('--force-recreate', 'recreate containers even when their configuration did not change')
    .option('--no-recreate', 'keep existing containers even when their configuration changed')
    .option(
      '--always-recreate-deps',
      'recreate the containers of the services the named ones depend on, changed or not',
    )
    .option(
      '-V, --renew-anon-volumes',
      'give recreated containers fresh anonymous volumes instead of the old containers’ (the data in them is left behind)',
    )
    .option('--remove-orphans', 'remove containers of services that are no longer in the stack file')
    .option('--dry-run', 'print what would be done and change nothing')
    .option('--scale <service=n>', 'run n replicas of a service (repeatable)', collect, [])
    .option('--abort-on-container-exit', 'stop every container when one exits (attached only)')
    .option(
      '--abort-on-container-failure',
      'stop every container when one exits with a non-zero code (attached only)',
    )
    .option(
      '--exit-code-from <service>',
      "exit with this service's exit code (implies --abort-on-container-exit)",
    )
    .option('--attach <service>', 'show the logs of these services only (repeatable)', collect, [])
    .addOption(noAttachOption())
    .option('--timestamps', 'show a timestamp on every log line')
    .option('--no-log-prefix', 'log lines without the `service-n | ` prefix')
    .option(
      '--watch',
      'watch the services’ files and sync, restart or rebuild them as they change (develop.watch)',
    )
    .option('--no-wait', 'fail at once when another berth is changing the project (default: wait for it)')
    .option('--force', 'use objects of the project’s names that another stack, checkout or tool created')
    .action(async (names: string[], flags: UpFlags, cmd: Command) => {
      const began = Date.now();
      const stack = await loadStackFor(cmd, names);
      const swarm = await import('./swarm.js');
      if (swarm.targetOf(cmd, stack) === 'swarm')
        return swarm.swarmUp(cmd, stack, flags, { names, scale: parseScale(flags.scale, stack.services) });
      const g = globalsOf(cmd);
      const services = selectServices(stack, names, flags.deps !== false);
      const scale = parseScale(flags.scale, stack.services);
      const attaching = attachOptions(flags, Object.keys(stack.services));
      const waitTimeoutMs = flags.waitTimeout === undefined ? undefined : Number(flags.waitTimeout) * 1000;
      if (waitTimeoutMs !== undefined && !(waitTimeoutMs > 0))
        throw badInput(`--wait-timeout ${flags.waitTimeout}: expected a number of seconds`);
      if (flags.watch && (flags.detach || flags.wait || flags.dryRun))
        throw badInput('--watch cannot be used with -d, --wait or --dry-run', {
          hint: 'run `berth watch` to watch a stack that is up in the background',
        });
      if (flags.watch) (await import('../ops/watch.js')).watchedServices(stack, services);
      createFlags(flags);
      const pull = parsePull(flags.pull);
      const noStart = flags.start === false;
      const [{ up }, { formatPlan }] = await Promise.all([
        import('../ops/up.js'),
        import('../plan/format.js'),
      ]);
      const print = await progressPrinter(cmd);
      const detach = flags.detach || flags.wait || noStart;
      const sigint = interruptOnSigint();
      let outcome: Awaited<ReturnType<typeof up>>;
      let ctx: Awaited<ReturnType<typeof opContext>>;
      try {
        ctx = await opContext(print, sigint.signal);
        outcome = await up(ctx, stack, {
          services,
          build: flags.build,
          forceRecreate: flags.forceRecreate,
          noRecreate: flags.recreate === false,
          forceRecreateServices: flags.alwaysRecreateDeps ? dependenciesOf(names, services) : undefined,
          renewAnonVolumes: flags.renewAnonVolumes,
          removeOrphans: flags.removeOrphans,
          scale,
          noStart,
          pull,
          quietPull: flags.quietPull,
          timeoutSec: attaching.timeoutSec,
          wait: flags.wait,
          waitTimeoutMs,
          dryRun: flags.dryRun,
          force: flags.force,
        });
      } finally {
        sigint.dispose();
      }
      if (flags.dryRun) {
        process.stdout.write(formatPlan(outcome.plan));
        return;
      }
      if (!reportOutcome(outcome, formatPlan)) return;
      if (detach) {
        // a no-op seen without the lock, and nothing in the flags that acts beyond it: the same look, the same answer
        if (outcome.seen && !flags.wait && !flags.force && !process.env.BERTH_TRACE)
          await (await import('../memo/up.js')).offerUpMemo(ctx.engine, stack, services, outcome.seen);
        return;
      }
      await attach(
        cmd,
        stack,
        services,
        print,
        colorWanted(cmd) && !g.noColor,
        began,
        attaching,
        flags.watch,
      );
    });
}

/**
 * What an `up` (or `create`, `scale`) did, on stdout; false, with the exit code set, when it failed or was
 * interrupted. With nothing to do there is no run, and the plan says so.
 */
export function reportOutcome(
  { plan, result }: import('../ops/up.js').UpOutcome,
  formatPlan: (p: import('../plan/types.js').Plan) => string,
): boolean {
  if (!result) {
    process.stdout.write(formatPlan({ ...plan, orphans: [] }));
    return true;
  }
  if (result.interrupted) {
    process.stderr.write(
      plan.actions.length === 0
        ? 'berth: interrupted; nothing was changed\n'
        : 'berth: interrupted; the stack is partly up, and `berth up` again converges it\n',
    );
    process.exitCode = 130;
    return false;
  }
  if (!result.ok) {
    const names = [...new Set(result.failures.map((f) => f.service))];
    process.stderr.write(`berth: ${names.map((n) => `"${n}"`).join(', ')} failed; see above\n`);
    process.exitCode = ExitCode.StackFailure;
    return false;
  }
  return true;
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
  opts: AttachOptions,
  watching = false,
): Promise<void> {
  const [{ followLogs, streamSink }, { stop }] = await Promise.all([
    import('../logs/index.js'),
    import('../ops/lifecycle.js'),
  ]);
  const ctx = await opContext();
  const docker = ctx.engine;
  const target = { stack, project: stack.project };
  // On a terminal, attached `up` is the UI (src/tui): q or Ctrl-C there stops the stack, its progress shown in it.
  const plainOnly = opts.abort || opts.logServices !== undefined || opts.timestamps || watching;
  if (process.stdout.isTTY && process.stdin.isTTY && !plainOnly) {
    hideCiFromInk();
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
    { color, prefix: !opts.noPrefix, timestamps: opts.timestamps },
    Object.keys(stack.services),
  );
  // --abort-on-container-exit: the first container of the started services to exit ends the feed, once the
  // feed has gone quiet (it is read from when `up` began, so lines written before the exit still show)
  let exited: { service: string; name: string; code: number } | undefined;
  let lastLine = Date.now();
  const write = sink.write.bind(sink);
  sink.write = (lines) => {
    lastLine = Date.now();
    return write(lines);
  };
  const endFeed = () => {
    const since = Date.now();
    const tick = () => {
      const now = Date.now();
      if (now - lastLine >= 500 || now - since >= 5000) ac.abort();
      else setTimeout(tick, 100);
    };
    setTimeout(tick, 500);
  };
  const watch = opts.abort
    ? await docker.watchContainerEvents({ labels: [projectSelector(stack.project)] }, (e) => {
        if (e.action !== 'die' || exited || isOneOff(e.attributes)) return;
        if (services && !services.includes(e.service ?? '')) return;
        const code = Number(e.attributes.exitCode ?? 0);
        if (opts.onlyFailure && code === 0) return;
        exited = { service: e.service ?? '', name: e.name, code };
        endFeed();
      })
    : undefined;
  if (watch && !exited) {
    // one that exited before the subscription counts too
    const gone = (
      await docker.listContainers({ all: true, labels: [projectSelector(stack.project)] })
    ).filter((c) => !c.oneoff && c.state === 'exited' && (!services || services.includes(c.service)));
    for (const c of gone) {
      const info = await docker.inspectContainer(c.id);
      if (!info || exited || (opts.onlyFailure && info.exitCode === 0)) continue;
      exited = { service: c.service, name: c.name, code: info.exitCode };
      endFeed();
    }
  }
  // --watch: the watcher runs beside the feed, ends with it, and its lines go between the log lines
  const watcher = watching
    ? (async () => {
        const [{ watch }, { watchLine }] = await Promise.all([
          import('../ops/watch.js'),
          import('./watch.js'),
        ]);
        await watch({ ...ctx, onEvent: print, signal: ac.signal }, stack, {
          services,
          noUp: true,
          onLog: watchLine,
        });
      })().catch((err: unknown) => {
        ac.abort();
        throw err;
      })
    : undefined;
  watcher?.catch(() => {});
  try {
    await followLogs(
      // from when this `up` began: the lines of containers it just started, not old history
      {
        project: stack.project,
        services: opts.logServices ?? services ?? [],
        follow: true,
        since: String(Math.floor(began / 1000)),
        signal: ac.signal,
        engine: docker,
      },
      sink,
    );
  } finally {
    watch?.close();
    process.removeListener('SIGINT', quit);
    process.removeListener('SIGTERM', quit);
  }
  const stopped = ac.signal.aborted;
  if (watcher) {
    ac.abort();
    await watcher.catch((err: unknown) => {
      process.stderr.write(`berth: watch stopped: ${err instanceof Error ? err.message : String(err)}\n`);
    });
  }
  if (!stopped) return; // the stack went away by itself
  if (exited) process.stdout.write(`${exited.name} exited with code ${exited.code}\n`);
  process.stderr.write(
    exited
      ? `Aborting on container ${opts.onlyFailure ? 'failure' : 'exit'}...\n`
      : 'Gracefully stopping... (press Ctrl-C again to force)\n',
  );
  const force = () => process.exit(130);
  process.once('SIGINT', force);
  await stop({ ...ctx, onEvent: print }, target, { services, timeoutSec: opts.timeoutSec });
  process.removeListener('SIGINT', force);
  if (!exited) {
    process.exitCode = 130;
    return;
  }
  // Compose: the exit code of --exit-code-from's service, else of the container that exited first
  let code = exited.code;
  if (opts.exitCodeFrom) {
    const mine = (await docker.listContainers({ all: true, labels: [projectSelector(stack.project)] }))
      .filter((c) => c.service === opts.exitCodeFrom && !c.oneoff)
      .sort((a, b) => a.replica - b.replica)[0];
    code = mine ? ((await docker.inspectContainer(mine.id))?.exitCode ?? 0) : 0;
  }
  process.exitCode = code;
  void cmd;
}
