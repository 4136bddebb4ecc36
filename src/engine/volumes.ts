import type Docker from 'dockerode';
import { ComposeLabel, Label, composeProjectLabels, ownerLabels, resourceName } from '../model/index.js';
import type { Stack } from '../model/stack.js';
import { VERSION } from '../version.js';

export function volumeOptions(stack: Stack, key: string): Docker.VolumeCreateOptions {
  const spec = stack.volumes[key];
  return {
    Name: resourceName(stack.project, key, spec?.name),
    Driver: spec?.driver ?? 'local',
    DriverOpts: spec?.driver_opts ?? {},
    Labels: {
      ...(spec?.labels ?? {}),
      ...composeProjectLabels(stack, VERSION),
      [ComposeLabel.volume]: key,
      ...ownerLabels(stack),
      [Label.volume]: key,
      [Label.version]: VERSION,
    },
  };
}
