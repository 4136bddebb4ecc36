// Project networks: created labelled (so `down` finds them by label), removed only when labelled.
import type Docker from 'dockerode';
import { ComposeLabel, Label, composeProjectLabels, ownerLabels, resourceName } from '../model/index.js';
import type { NetworkSpec, Stack } from '../model/stack.js';
import { VERSION } from '../version.js';

export function networkOptions(
  stack: Stack,
  key: string,
  spec: NetworkSpec | undefined,
): Docker.NetworkCreateOptions {
  const name = resourceName(stack.project, key, spec?.name);
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
      ...composeProjectLabels(stack, VERSION),
      [ComposeLabel.network]: key,
      ...ownerLabels(stack),
      [Label.network]: key,
      [Label.version]: VERSION,
    },
  } as Docker.NetworkCreateOptions;
}
