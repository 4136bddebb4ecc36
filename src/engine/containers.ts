// Container operations the executor needs, each one engine call (or a short fixed sequence), with the
// engine's "already in that state" answers treated as success so a re-run after an interruption converges.
import type Docker from 'dockerode';
import type { InjectedFile, Stack } from '../compose/types.js';
import { BerthErrors } from '../errors.js';
import { type ContainerPlan, createBlockers } from './create-options.js';
import { fileArchive } from './file-archive.js';

const status = (err: unknown) => (err as { statusCode?: number }).statusCode;

/** Create a container and attach the networks beyond its first (API 1.41 takes one network at create). */
export async function createContainer(docker: Docker, plan: ContainerPlan): Promise<string> {
  let c: Docker.Container;
  try {
    c = await docker.createContainer(plan.options);
  } catch (err) {
    throw refusalNamingKey(err, plan.keyAt);
  }
  for (const [net, endpoint] of Object.entries(plan.extraNetworks))
    await docker.getNetwork(net).connect({ Container: c.id, EndpointConfig: endpoint });
  return c.id;
}

/** Engine refusals at create that belong to one stack key, recognised by the engine's own words. */
const REFUSALS: Array<{ key: string; words: RegExp; hint: string }> = [
  {
    key: 'storage_opt',
    words: /storage-opt|storage opt/i,
    hint: 'the overlay2 storage driver takes `size` only on xfs mounted with `pquota`; remove `storage_opt` for this engine',
  },
  { key: 'device_cgroup_rules', words: /device.?cgroup|cgroup rule/i, hint: 'fix or remove the rule' },
  { key: 'cgroup_parent', words: /cgroup.?parent/i, hint: 'fix or remove `cgroup_parent`' },
  { key: 'external_links', words: /link/i, hint: 'start the linked container first, or fix the name' },
  { key: 'uts', words: /\buts\b/i, hint: 'the only UTS mode is `host`, and it excludes `hostname`' },
];

/** The engine's create error, reworded to name the stack key (and its line) when it is about one. */
function refusalNamingKey(err: unknown, keyAt: Record<string, string> | undefined): unknown {
  if (!keyAt) return err;
  const e = err as { json?: { message?: string }; message?: string };
  const said = (e?.json?.message ?? e?.message ?? '').replace(/^\(HTTP code \d+\) [^-]*- /, '').trim();
  const r = REFUSALS.find((x) => keyAt[x.key] && x.words.test(said));
  if (!r) return err;
  return new Error(`\`${r.key}\` (${keyAt[r.key]}) was refused by the engine: ${said}; ${r.hint}`);
}

/**
 * Put a tar into a container, extracted at `path` (the engine's `PUT /containers/{id}/archive`). Used between
 * create and start for secrets and configs that are not host files; the container's root file system must be
 * writable.
 */
export async function putArchive(docker: Docker, id: string, path: string, tar: Buffer): Promise<void> {
  await docker.getContainer(id).putArchive(tar, { path });
}

/**
 * Copy a service's secrets and configs into a container berth has just created. If that fails the container is
 * removed again: left behind, it would look complete to the next `up` (its config hash matches) and be started
 * without its files.
 */
export async function injectFiles(docker: Docker, id: string, files: InjectedFile[]): Promise<void> {
  try {
    await putArchive(docker, id, '/', await fileArchive(files));
  } catch (err) {
    await removeContainer(docker, id, { force: true, volumes: true });
    const e = err as { json?: { message?: string }; message?: string };
    const said = (e?.json?.message ?? e?.message ?? String(err)).replace(/^\(HTTP code \d+\) [^-]*- /, '');
    throw new Error(
      `copying ${files.map((f) => `${f.kind} "${f.name}"`).join(', ')} into the container failed: ${said.trim()}`,
    );
  }
}

export async function startContainer(docker: Docker, id: string): Promise<void> {
  try {
    await docker.getContainer(id).start();
  } catch (err) {
    if (status(err) !== 304) throw err; // already started
  }
}

/** Stop with the container's own stop signal and grace period (set at create from the stack). */
export async function stopContainer(docker: Docker, id: string, timeoutSec?: number): Promise<void> {
  try {
    await docker.getContainer(id).stop(timeoutSec === undefined ? {} : { t: timeoutSec });
  } catch (err) {
    const s = status(err);
    if (s !== 304 && s !== 404) throw err; // already stopped, or gone
  }
}

export async function removeContainer(
  docker: Docker,
  id: string,
  opts: { volumes?: boolean; force?: boolean } = {},
) {
  try {
    await docker.getContainer(id).remove({ v: opts.volumes ?? false, force: opts.force ?? false });
  } catch (err) {
    const s = status(err);
    // 404: gone already; 409 "removal already in progress" ends the same way
    if (s !== 404 && !(s === 409 && /already in progress/.test(String((err as Error).message)))) throw err;
  }
}

export async function renameContainer(docker: Docker, id: string, name: string): Promise<void> {
  await docker.getContainer(id).rename({ name });
}

export async function restartContainer(docker: Docker, id: string): Promise<void> {
  await docker.getContainer(id).restart();
}

export interface LiveState {
  running: boolean;
  status: string;
  exitCode: number;
  health?: 'healthy' | 'unhealthy' | 'starting';
  /** The container has a healthcheck (its own or its image's). */
  hasHealthcheck: boolean;
  restarting: boolean;
}

export async function inspectState(docker: Docker, id: string): Promise<LiveState | undefined> {
  try {
    const info = await docker.getContainer(id).inspect();
    const h = info.State.Health?.Status as LiveState['health'] | 'none' | undefined;
    const test = info.Config?.Healthcheck?.Test;
    return {
      running: info.State.Running,
      status: info.State.Status,
      exitCode: info.State.ExitCode,
      health: h && h !== 'none' ? h : undefined,
      hasHealthcheck: (h !== undefined && h !== 'none') || (!!test && test[0] !== 'NONE'),
      restarting: info.State.Restarting,
    };
  } catch (err) {
    if (status(err) === 404) return undefined;
    throw err;
  }
}

/** Split the engine's multiplexed (non-TTY) log stream: 8-byte headers, then the payload. */
export function demux(buf: Buffer): string {
  if (buf.length < 8 || buf[1] !== 0 || buf[2] !== 0 || buf[3] !== 0 || buf[0]! > 2)
    return buf.toString('utf8');
  let out = '';
  let i = 0;
  while (i + 8 <= buf.length) {
    const len = buf.readUInt32BE(i + 4);
    out += buf.subarray(i + 8, i + 8 + len).toString('utf8');
    i += 8 + len;
  }
  return out;
}

/** The last `n` log lines of a container (stdout and stderr), for failure messages. */
export async function tailLogs(docker: Docker, id: string, n = 10): Promise<string[]> {
  try {
    const buf = (await docker
      .getContainer(id)
      .logs({ stdout: true, stderr: true, tail: n, follow: false })) as unknown as Buffer;
    return demux(Buffer.isBuffer(buf) ? buf : Buffer.from(String(buf)))
      .split('\n')
      .filter((l) => l.length > 0)
      .slice(-n);
  } catch {
    return [];
  }
}

/**
 * Before `up` creates anything: refuse keys this engine's API cannot honour, and secrets/configs whose variable
 * is unset, for the services that will get new containers. The engine is asked its version only when some
 * service needs an answer.
 */
export async function checkBeforeCreate(docker: Docker, stack: Stack, services: string[]): Promise<void> {
  const asks = services.some((s) => (stack.services[s]?.needsApi ?? []).length > 0);
  const api = asks
    ? await docker.version().then(
        (v) => v.ApiVersion,
        () => undefined,
      )
    : undefined;
  const errors = createBlockers(stack, services, asks ? api : '999.0');
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) throw new BerthErrors(errors);
}
