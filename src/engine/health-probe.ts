// Runs a service's healthcheck command once, the way the engine would, for engines that ignore the
// healthcheck's `start_interval` (API < 1.44, e.g. Docker 20.10 and 24): there the first check only runs one
// full `interval` after start, which puts a whole interval per health-gated dependency on `up`'s critical
// path. Probing at the start interval ourselves gives the user what their file asks for on any engine.
import type Docker from 'dockerode';

type ExecCapable = { getContainer(id: string): Pick<Docker.Container, 'exec'> | { exec: LightExec } };
type LightExec = (o: Docker.ExecCreateOptions) => Promise<{
  start(o: { Detach?: boolean }): Promise<unknown>;
  inspect(): Promise<Docker.ExecInspectInfo>;
}>;

/** The engine's own `start_interval` support arrived with API 1.44 (Docker 25). */
export function engineHonoursStartInterval(apiVersion: string | undefined): boolean {
  const [major, minor] = (apiVersion ?? '0.0').split('.').map(Number);
  return (major ?? 0) > 1 || ((major ?? 0) === 1 && (minor ?? 0) >= 44);
}

/** The command an exec runs for a healthcheck test (`CMD …` or `CMD-SHELL …`); undefined for `NONE`. */
export function probeCommand(test: string[]): string[] | undefined {
  const [kind, ...rest] = test;
  if (kind === 'CMD' && rest.length) return rest;
  if (kind === 'CMD-SHELL' && rest.length) return ['/bin/sh', '-c', rest.join(' ')];
  return undefined;
}

/** Run the check once in the container; true when it exits 0 within `timeoutMs`. Never throws. */
export async function probeHealth(
  docker: ExecCapable,
  id: string,
  cmd: string[],
  timeoutMs: number,
): Promise<boolean> {
  try {
    const exec = await (docker.getContainer(id).exec as LightExec)({
      Cmd: cmd,
      AttachStdout: false,
      AttachStderr: false,
    });
    await exec.start({ Detach: true });
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const info = await exec.inspect();
      if (!info.Running) return info.ExitCode === 0;
      if (Date.now() > deadline) return false;
      await new Promise((r) => setTimeout(r, 25));
    }
  } catch {
    return false;
  }
}
