import type Docker from 'dockerode';
import type { Stack } from '../model/stack.js';
import { Label, ownerLabels } from '../model/index.js';
import { VERSION } from '../version.js';

export function volumeOptions(stack: Stack, key: string): Docker.VolumeCreateOptions {
  const spec = stack.volumes[key];
  return {
    Name: spec?.name ?? `${stack.project}_${key}`,
    Driver: spec?.driver ?? 'local',
    DriverOpts: spec?.driver_opts ?? {},
    Labels: {
      ...(spec?.labels ?? {}),
      ...ownerLabels(stack),
      [Label.volume]: key,
      [Label.version]: VERSION,
    },
  };
}
