import { randomBytes } from 'node:crypto';
import Docker from 'dockerode';

/** A project name no other test (or person) uses: every e2e test owns its own and removes what it made. */
export function uniqueProject(prefix: string): string {
  return `bt-${prefix}-${randomBytes(3).toString('hex')}`;
}

export const docker = new Docker();

/** Remove everything labelled with this project (containers, then networks, then volumes). */
export async function cleanupProject(project: string): Promise<void> {
  const filters = JSON.stringify({ label: [`dev.berth.project=${project}`] });
  const containers = await docker.listContainers({ all: true, filters });
  await Promise.all(
    containers.map((c) =>
      docker
        .getContainer(c.Id)
        .remove({ force: true, v: true })
        .catch(() => {}),
    ),
  );
  const networks = await docker.listNetworks({ filters });
  await Promise.all(
    networks.map((n) =>
      docker
        .getNetwork(n.Id)
        .remove()
        .catch(() => {}),
    ),
  );
  const { Volumes } = await docker.listVolumes({ filters });
  await Promise.all(
    (Volumes ?? []).map((v) =>
      docker
        .getVolume(v.Name)
        .remove({ force: true })
        .catch(() => {}),
    ),
  );
}
