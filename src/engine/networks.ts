// Project networks: created labelled (so `down` finds them by label), removed only when labelled.
import type Docker from 'dockerode';
import type { NetworkSpec, Stack } from '../compose/types.js';
import { VERSION } from '../version.js';
import { Label, ownerLabels } from './labels.js';

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
              ...(c.aux_addresses ? { AuxiliaryAddresses: c.aux_addresses } : {}),
            })),
            ...(spec.ipam.options && Object.keys(spec.ipam.options).length
              ? { Options: spec.ipam.options }
              : {}),
          },
        }
      : {}),
    Labels: {
      ...(spec?.labels ?? {}),
      ...ownerLabels(stack),
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

/**
 * Remove a network. The engine can still count an endpoint of a container it has just removed (seen on 20.10
 * under load), so "active endpoints" is retried briefly before it counts as an error.
 */
export async function removeNetwork(docker: Docker, idOrName: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await docker.getNetwork(idOrName).remove();
      return;
    } catch (err) {
      const e = err as { statusCode?: number; message?: string; json?: { message?: string } };
      if (e.statusCode === 404) return;
      const busy = /active endpoints/.test(e.json?.message ?? e.message ?? '');
      if (!busy || attempt >= 20) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
