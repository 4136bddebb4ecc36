// `berth exec`: a command in a service's running container.
import { engineMessage, isEngineError } from '../engine/errors.js';
import type { ExecOptions, Session } from '../engine/port.js';
import { BerthError } from '../errors.js';
import type { OpContext } from './context.js';
import { type ServiceRef, serviceContainer } from './snapshot.js';

export async function exec(ctx: OpContext, ref: ServiceRef, opts: ExecOptions): Promise<Session> {
  const container = await serviceContainer(ctx, ref);
  if (container.state !== 'running')
    throw new BerthError(
      `service ${ref.service} (container ${container.name}) is not running: ${container.status}`,
      {
        hint: `start it: \`berth up -d ${ref.service}\` or \`berth start ${ref.service}\``,
      },
    );
  try {
    return await ctx.engine.exec(container.id, opts);
  } catch (err) {
    if (isEngineError(err)) throw new BerthError(`exec in ${ref.service} failed: ${engineMessage(err)}`);
    throw err;
  }
}
