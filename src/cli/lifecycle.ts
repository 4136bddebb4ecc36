// Shared by the lifecycle verbs (up, down, ps, start, stop, restart, rm): reading the stack, choosing
// services, and printing executor progress. Kept free of heavy imports: verbs load the engine and other heavy modules in their action.
import type { Command } from 'commander';
import { runAbortController } from '../abort.js';
import type { RunListener } from '../executor/events.js';
import type { Stack } from '../model/stack.js';
import { globalsOf } from './globals.js';

/**
 * The stack as every verb reads it (src/cli/load.ts), loaded on demand so `--help` stays fast. `services`: the
 * services the verb was given; as with Compose, their profiles are active and only they (and what they need)
 * have their env files read.
 */
export async function loadStackFor(cmd: Command, services?: string[]): Promise<Stack> {
  const { loadFromCli } = await import('./load.js');
  return loadFromCli(cmd, { services });
}

/**
 * Verbs that work from labels alone (down, ps, stop) need no stack file when `-p NAME` is given, as with
 * Compose; with a file they also know the dependency order.
 */
export async function loadStackOrProject(cmd: Command): Promise<{ stack?: Stack; project: string }> {
  const g = globalsOf(cmd);
  try {
    const stack = await loadStackFor(cmd);
    return { stack, project: g.projectName ?? stack.project };
  } catch (err) {
    if (g.projectName && g.file.length === 0) return { project: g.projectName };
    throw err;
  }
}

export { selectServices } from '../ops/select.js';

/**
 * The target of a verb that works from labels alone (a stack file, or `-p NAME` by itself) and the services it
 * names: checked against the stack file when there is one, taken as given otherwise.
 */
export async function loadTargetServices(
  cmd: Command,
  names: string[],
): Promise<{ stack?: Stack; project: string; services?: string[] }> {
  const target = await loadStackOrProject(cmd);
  const { selectServices } = await import('../ops/select.js');
  const services = target.stack
    ? selectServices(target.stack, names, false)
    : names.length
      ? names
      : undefined;
  return { ...target, services };
}

/** The operation context of a CLI verb: the engine (exit 3 naming it when it does not answer), progress, Ctrl-C. */
export async function opContext(
  onEvent?: import('../executor/events.js').RunListener,
  signal?: AbortSignal,
): Promise<import('../ops/context.js').OpContext> {
  const { connect } = await import('../engine/connect.js');
  return { engine: await connect(), onEvent, signal };
}

export function colorWanted(cmd: Command): boolean {
  return !globalsOf(cmd).noColor && process.stdout.isTTY === true;
}

/**
 * Progress of the executor: on a terminal, live lines rewritten in place; otherwise plain lines, one per
 * finished step, on stdout, with failures and warnings on stderr.
 */
export async function progressPrinter(cmd: Command): Promise<RunListener> {
  const { plainRenderer, ttyRenderer } = await import('../executor/render.js');
  const color = colorWanted(cmd);
  if (process.stdout.isTTY === true && process.stderr.isTTY === true && !process.env.BERTH_PLAIN)
    return ttyRenderer({ color, errWrite: (s) => process.stderr.write(s) });
  const out = plainRenderer({ color });
  const err = plainRenderer({
    color: color && process.stderr.isTTY === true,
    write: (s) => process.stderr.write(s),
  });
  return (e) => (e.type === 'failure' || e.type === 'warning' || e.type === 'skipped' ? err(e) : out(e));
}

/** Ctrl-C: the first asks the run to wind down cleanly; a second one exits at once. */
export function interruptOnSigint(): { signal: AbortSignal; dispose: () => void } {
  const ac = runAbortController();
  const onSig = () => {
    if (ac.signal.aborted) process.exit(130);
    process.stderr.write(
      'berth: interrupted; finishing the steps in flight (Ctrl-C again to quit at once)\n',
    );
    ac.abort();
  };
  process.on('SIGINT', onSig);
  process.on('SIGTERM', onSig);
  return {
    signal: ac.signal,
    dispose: () => {
      process.removeListener('SIGINT', onSig);
      process.removeListener('SIGTERM', onSig);
    },
  };
}
