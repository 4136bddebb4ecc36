// The one way verbs load the stack from the command line: global options + environment → loadStack.
import type { Command } from 'commander';
import { loadStack } from '../compose/index.js';
import type { Stack } from '../model/stack.js';
import { resolveClient } from '../stacks/active.js';
import { isRouted, routedStack, routerSettings } from '../stacks/router.js';
import { readStateSync } from '../stacks/state.js';
import { stackDirOf } from '../stacks/use.js';
import { globalsOf } from './globals.js';
import { SWARM_ONLY_WARNING, targetOf } from './target.js';

/** Warnings already shown in this process: a verb may load the stack more than once. */
const shown = new Set<string>();

/**
 * `services`: the services the verb was given (`berth up web`), so their profiles are active, as in Compose.
 * `quiet`: do not print the warnings.
 * `routed`: load the client as it runs beside others behind the router (no host ports of its own); by
 * default, as `berth use` last recorded it for the stack (never with -p: that names one project as it is).
 */
export function loadFromCli(
  cmd: Command,
  opts: { client?: string; quiet?: boolean; services?: string[]; routed?: boolean } = {},
): Stack {
  const g = globalsOf(cmd);
  const cwd = process.cwd();
  const stack = loadStack({
    files: g.file,
    cwd,
    projectName: g.projectName,
    projectDirectory: g.projectDirectory,
    profiles: g.profile,
    services: opts.services,
    envFiles: g.envFile,
    client: resolveClient(opts.client, g, cwd, process.env),
    env: process.env,
  });
  let swarm = false;
  try {
    swarm = targetOf(cmd, stack) === 'swarm';
  } catch {
    // A bad target is the verb's error to report, with its exit code.
  }
  for (const w of stack.warnings) {
    if (swarm && SWARM_ONLY_WARNING.test(w)) continue;
    if (!opts.quiet && !shown.has(w)) process.stderr.write(`berth: warning: ${w}\n`);
    shown.add(w);
  }
  const routed =
    opts.routed ??
    (!!stack.client && !g.projectName && isRouted(readStateSync(stackDirOf(stack)).routed, stack.client));
  return routed ? routedStack(stack, routerSettings(process.env).project) : stack;
}
