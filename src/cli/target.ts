// Which target a verb acts on: the local engine, or the swarm it manages (src/cli/swarm.ts).
import type { Command } from 'commander';
import { composeModels } from '../compose/canonical.js';
import { BerthError, ExitCode } from '../errors.js';
import type { Stack } from '../model/stack.js';
import { globalsOf } from './globals.js';

export type Target = 'local' | 'swarm';

/** The target: --target, then BERTH_TARGET, then `x-berth.target` in the file; local by default. */
export function targetOf(cmd: Command, stack?: Stack): Target {
  const g = globalsOf(cmd);
  const fromFile = stack
    ? (composeModels.get(stack)?.['x-berth'] as { target?: unknown } | undefined)?.target
    : undefined;
  const t =
    g.target ?? process.env.BERTH_TARGET ?? (typeof fromFile === 'string' ? fromFile : undefined) ?? 'local';
  if (t !== 'local' && t !== 'swarm')
    throw new BerthError(`target \`${t}\`: expected local or swarm`, { exitCode: ExitCode.BadInput });
  return t;
}

/** Loader warnings about `deploy` keys that only a swarm honours: true, and said wrongly, on a swarm. */
export const SWARM_ONLY_WARNING =
  /`deploy\.(mode|placement|update_config|rollback_config|endpoint_mode|labels)` is a swarm setting|`deploy\.resources\.reservations\.cpus` is ignored/;
