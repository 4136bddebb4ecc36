// `wait`: block until every container of the selected services has stopped, as `docker compose wait` does;
// each exit is reported as it happens, and the result is the status of the last one to stop (Compose's).
import { listProjectContainers } from '../engine/observe.js';
import { BerthError } from '../errors.js';
import type { ObservedContainer } from '../model/index.js';
import type { OpContext } from './context.js';
import { serviceContainers, type Target } from './select.js';

export interface WaitResult {
  /** Exit status of the container that stopped last. */
  exitCode: number;
  exits: Array<{ container: ObservedContainer; exitCode: number }>;
}

export async function wait(
  ctx: OpContext,
  target: Target,
  opts: { services?: string[]; onExit?: (c: ObservedContainer, exitCode: number) => void } = {},
): Promise<WaitResult> {
  const containers = serviceContainers(
    await listProjectContainers(ctx.engine, target.project),
    opts.services,
  );
  if (!containers.length) throw new BerthError(`no containers for project ${target.project}`);
  const exits: WaitResult['exits'] = [];
  await Promise.all(
    containers.map(async (container) => {
      const exitCode = await ctx.engine.waitContainer(container.id, ctx.signal);
      exits.push({ container, exitCode });
      opts.onExit?.(container, exitCode);
    }),
  );
  return { exitCode: exits.at(-1)?.exitCode ?? 0, exits };
}
