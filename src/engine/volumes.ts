// Named volumes: created once, labelled, never removed except by `down -v` (and only when labelled).
import type Docker from 'dockerode';
import type { Stack } from '../compose/types.js';
import { VERSION } from '../version.js';
import { Label, ownerLabels } from './labels.js';

export async function createVolume(docker: Docker, stack: Stack, key: string): Promise<void> {
  const spec = stack.volumes[key];
  await docker.createVolume({
    Name: spec?.name ?? `${stack.project}_${key}`,
    Driver: spec?.driver ?? 'local',
    DriverOpts: spec?.driver_opts ?? {},
    Labels: {
      ...(spec?.labels ?? {}),
      ...ownerLabels(stack),
      [Label.volume]: key,
      [Label.version]: VERSION,
    },
  });
}

export async function removeVolume(docker: Docker, name: string): Promise<void> {
  try {
    await docker.getVolume(name).remove();
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode !== 404) throw err;
  }
}
