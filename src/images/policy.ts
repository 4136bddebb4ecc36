// Which images a service needs made before its containers can be created: the pull_policy rules, pure, so
// they are unit-tested without an engine.
import type { Service } from '../model/stack.js';

export type PullOverride = 'always' | 'missing' | 'never';

export type ImageAction =
  | { do: 'none' }
  | { do: 'build' }
  | { do: 'pull' }
  | { do: 'fail'; reason: string; hint: string };

const DAY_MS = 24 * 3600 * 1000;

/**
 * What a service needs before its containers can be created, given whether its image is present. An image
 * that exists is never pulled unless the policy or the caller says so; a missing image is built when the
 * service can be built, pulled otherwise.
 */
export function imageAction(
  service: Pick<Service, 'name' | 'image' | 'build' | 'pull_policy'>,
  present: { exists: boolean; lastTagTime?: Date },
  opts: { build?: boolean; pull?: PullOverride; now?: Date } = {},
): ImageAction {
  const canBuild = service.build !== undefined;
  if (canBuild && opts.build === true) return { do: 'build' };
  const policy = opts.pull ?? service.pull_policy;
  if (canBuild && policy === 'build' && opts.build !== false) return { do: 'build' };
  if (policy === 'always') return { do: 'pull' };
  if (present.exists) {
    const age = present.lastTagTime ? (opts.now ?? new Date()).getTime() - present.lastTagTime.getTime() : 0;
    if (policy === 'daily' && age > DAY_MS) return { do: 'pull' };
    if (policy === 'weekly' && age > 7 * DAY_MS) return { do: 'pull' };
    return { do: 'none' };
  }
  if (canBuild && opts.build !== false) return { do: 'build' };
  if (policy === 'never' || (policy === 'build' && !canBuild)) {
    return {
      do: 'fail',
      reason: `image ${service.image} for service "${service.name}" is not present and pull_policy is ${policy}`,
      hint: canBuild
        ? `build it first: \`berth build ${service.name}\``
        : `make the image locally (\`docker tag <local image> ${service.image}\`) or allow pulling it`,
    };
  }
  if (canBuild) {
    return {
      do: 'fail',
      reason: `image ${service.image} for service "${service.name}" is not present and building was turned off`,
      hint: `build it first: \`berth build ${service.name}\``,
    };
  }
  return { do: 'pull' };
}
