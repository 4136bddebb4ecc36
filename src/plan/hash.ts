// The config hash: one short, stable digest of everything that shapes a service's containers. It covers the
// create-options template (image ref, command, env, ports, mounts, healthcheck, labels, resources, ...), the
// resolved image ID (a rebuilt image recreates its containers) and the network endpoints with their aliases.
// Lifecycle hooks count too (as in Compose); Compose's own labels do not (they are added per replica, outside
// the template). It leaves out what Compose leaves out (build, pull_policy, replicas, depends_on, profiles): those are not in
// the template at all, so changing them never recreates.

import { createHash } from 'node:crypto';
import type { CreateOptions } from '../engine/create-options.js';
import { resourceName } from '../model/index.js';
import type { Service, Stack } from '../model/stack.js';

/** JSON with object keys sorted at every level, so equal values always serialize (and hash) the same. */
export function stableStringify(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableStringify(v)}`).join(',')}}`;
}

export function configHash(stack: Stack, service: Service, template: CreateOptions, imageId: string): string {
  const networks = Object.entries(service.networks).map(([key, n]) => ({
    name: resourceName(stack.project, key, stack.networks[key]?.name),
    ...n,
  }));
  // Lifecycle hooks are part of the service as Compose hashes it: changing one recreates (and so re-runs
  // `pre_start`); a service without hooks hashes as it did before berth knew them.
  const hooks =
    service.post_start || service.pre_stop || service.pre_start
      ? { post_start: service.post_start, pre_stop: service.pre_stop, pre_start: service.pre_start }
      : undefined;
  const input = stableStringify({ template, imageId, networks, hooks });
  return createHash('sha256').update(input).digest('hex').slice(0, 16);
}
