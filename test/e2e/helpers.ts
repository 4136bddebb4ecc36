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
  // and the project's lock, left by a berth the test killed (a UI test's tmux session, a timed-out step)
  const lock = JSON.stringify({ label: [`dev.berth.lock=${project}`] });
  const containers = [
    ...(await docker.listContainers({ all: true, filters })),
    ...(await docker.listContainers({ all: true, filters: lock })),
  ];
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

/** Run a command in the project's running container of a service and return its output (stdout and stderr). */
export async function execIn(project: string, service: string, cmd: string[]): Promise<string> {
  const [c] = await docker.listContainers({
    filters: JSON.stringify({ label: [`dev.berth.project=${project}`, `dev.berth.service=${service}`] }),
  });
  if (!c) throw new Error(`no running ${service} in ${project}`);
  return (await execInContainer(c.Id, cmd)).out;
}

/** A command in a running container (no TTY): its stdout and stderr together, and its exit code. */
export async function execInContainer(id: string, cmd: string[]): Promise<{ out: string; code: number }> {
  const exec = await docker.getContainer(id).exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({});
  const chunks: Buffer[] = [];
  await new Promise<void>((resolve, reject) => {
    stream.on('data', (d: Buffer) => chunks.push(d));
    stream.on('end', resolve);
    stream.on('error', reject);
  });
  // strip the engine's 8-byte multiplexing headers
  const buf = Buffer.concat(chunks);
  let out = '';
  for (let i = 0; i + 8 <= buf.length; i += 8 + buf.readUInt32BE(i + 4))
    out += buf.subarray(i + 8, i + 8 + buf.readUInt32BE(i + 4)).toString();
  return { out, code: (await exec.inspect()).ExitCode ?? -1 };
}

/** Poll until `check` returns a value (a rejection counts as not yet), or fail naming what was awaited. */
export async function until<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
