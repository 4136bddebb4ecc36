// `ps`: the project's service containers, in stack order.
import { listProjectContainers } from '../engine/observe.js';
import type { ObservedContainer } from '../model/index.js';
import type { OpContext } from './context.js';
import { isUp, serviceContainers, type Target } from './select.js';

export async function ps(
  ctx: OpContext,
  target: Target,
  opts: { services?: string[]; all?: boolean } = {},
): Promise<ObservedContainer[]> {
  const order = target.stack ? Object.keys(target.stack.services) : [];
  const rank = (s: string) => (order.includes(s) ? order.indexOf(s) : order.length);
  return serviceContainers(await listProjectContainers(ctx.engine, target.project), opts.services)
    .filter((c) => opts.all || isUp(c))
    .sort(
      (a, b) =>
        rank(a.service) - rank(b.service) || a.service.localeCompare(b.service) || a.replica - b.replica,
    );
}
