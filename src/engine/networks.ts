// Project networks: created labelled (so `down` finds them by label), removed only when labelled.
import type Docker from 'dockerode';
import type { NetworkSpec, Stack } from '../spec/types.js';
import { VERSION } from '../version.js';
import { Label } from './labels.js';

export function networkOptions(
  stack: Stack,
  key: string,
  spec: NetworkSpec | undefined,
): Docker.NetworkCreateOptions {
  const name = spec?.name ?? `${stack.project}_${key}`;
  return {
    Name: name,
    Driver: spec?.driver ?? 'bridge',
    Options: spec?.driver_opts ?? {},
    Internal: spec?.internal ?? false,
    Attachable: spec?.attachable ?? false,
    EnableIPv6: spec?.enable_ipv6 ?? false,
    CheckDuplicate: true,
    ...(spec?.ipam
      ? {
          IPAM: {
            Driver: spec.ipam.driver ?? 'default',
            Config: spec.ipam.config.map((c) => ({
              Subnet: c.subnet,
              Gateway: c.gateway,
              IPRange: c.ip_range,
            })),
          },
        }
      : {}),
    Labels: {
      ...(spec?.labels ?? {}),
      [Label.project]: stack.project,
      [Label.stack]: stack.name,
      ...(stack.client ? { [Label.client]: stack.client } : {}),
      [Label.network]: key,
      [Label.version]: VERSION,
    },
  } as Docker.NetworkCreateOptions;
}

/** Create a network; one that already exists under that name (a concurrent `up`) is fine. */
export async function createNetwork(docker: Docker, stack: Stack, key: string): Promise<void> {
  try {
    await docker.createNetwork(networkOptions(stack, key, stack.networks[key]));
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode !== 409) throw err;
  }
}

export async function removeNetwork(docker: Docker, idOrName: string): Promise<void> {
  try {
    await docker.getNetwork(idOrName).remove();
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode !== 404) throw err;
  }
}
