// Lifecycle hooks, as Compose runs them: `post_start` and `pre_stop` exec in the service's container (with the
// hook's user, privileges, working directory and environment over the container's); `pre_start` runs each hook
// in a one-off container of the service (its image unless the hook names one, its volumes, networks and
// environment) to its end, before the service's new containers start. A hook that exits non-zero is a
// HookFailed carrying its output, so the failure can show what the hook said.
import { Writable } from 'node:stream';
import type { Engine } from '../engine/port.js';
import type { Hook, PreStartHook, Service, Stack } from '../model/stack.js';

export type HookKind = 'post_start' | 'pre_stop' | 'pre_start';

/** Lines of a hook's output kept for its failure message. */
const KEEP = 20;

export class HookFailed extends Error {
  constructor(
    message: string,
    readonly output: string[],
    readonly exitCode: number,
  ) {
    super(message);
  }
}

/** Collects what a hook writes, as lines, keeping the last KEEP. */
class Lines extends Writable {
  private partial = '';
  readonly lines: string[] = [];
  override _write(chunk: Buffer | string, _enc: BufferEncoding, cb: () => void): void {
    const parts = (this.partial + chunk.toString()).split('\n');
    this.partial = parts.pop() ?? '';
    this.push(parts);
    cb();
  }
  private push(parts: string[]): void {
    for (const p of parts) this.lines.push(p.replace(/\r$/, ''));
    if (this.lines.length > KEEP) this.lines.splice(0, this.lines.length - KEEP);
  }
  all(): string[] {
    if (this.partial) this.push([this.partial]);
    this.partial = '';
    return this.lines;
  }
}

const envList = (env: Record<string, string>) => Object.entries(env).map(([k, v]) => `${k}=${v}`);

function failed(service: string, kind: HookKind, index: number, code: number, output: string[]): HookFailed {
  // Compose's words ("<service> hook exited with status N"), with which hook it was
  return new HookFailed(`${service} ${kind}[${index}] hook exited with status ${code}`, output, code);
}

/** Run a service's `post_start` or `pre_stop` hooks in a running container, in order; the first failure throws. */
export async function runExecHooks(
  engine: Engine,
  containerId: string,
  service: Service,
  kind: 'post_start' | 'pre_stop',
): Promise<void> {
  const list: Hook[] = service[kind] ?? [];
  for (const [i, hook] of list.entries()) {
    const out = new Lines();
    const session = await engine.exec(containerId, {
      cmd: hook.command,
      env: envList(hook.environment),
      user: hook.user,
      workdir: hook.working_dir,
      privileged: hook.privileged || undefined,
      stdout: out,
      stderr: out,
      tty: false,
    });
    const code = await session.done;
    if (code !== 0) throw failed(service.name, kind, i, code, out.all());
  }
}

/** Name of the one-off container that runs a service's `pre_start` hook `index`. */
export function preStartName(project: string, service: string, index: number, suffix: string): string {
  return `${project}-${service}-pre_start-${index}-${suffix}`;
}

/**
 * Run a service's `pre_start` hooks, in order, each in a one-off container that is removed afterwards (also when
 * it failed: its output is in the error). The first failure throws.
 */
export async function runPreStartHooks(
  engine: Engine,
  stack: Stack,
  service: Service,
  /** The service's new container (its lowest replica), whose mounts the hooks share. */
  volumesFrom: string,
  signal?: AbortSignal,
): Promise<void> {
  const list: PreStartHook[] = service.pre_start ?? [];
  const suffix = Math.random().toString(16).slice(2, 8);
  for (const [i, hook] of list.entries()) {
    // The hook's image (when it names one) stands in for the service's, in a copy of the stack just for it.
    const hookStack: Stack = hook.image
      ? { ...stack, services: { ...stack.services, [service.name]: { ...service, image: hook.image } } }
      : stack;
    const id = await engine.createContainer({
      kind: 'oneoff',
      stack: hookStack,
      service: service.name,
      name: preStartName(stack.project, service.name, i, suffix),
      command: hook.command,
      env: envList(hook.environment),
      user: hook.user,
      workdir: hook.working_dir,
      privileged: hook.privileged || undefined,
      volumesFrom,
      aliases: true,
      ports: [],
      tty: false,
      stdin: false,
    });
    try {
      await engine.startContainer(id);
      const code = await engine.waitContainer(id, signal);
      if (signal?.aborted) return;
      if (code !== 0) throw failed(service.name, 'pre_start', i, code, await engine.tailLogs(id, KEEP));
    } finally {
      await engine.removeContainer(id, { force: true }).catch(() => {});
    }
  }
}
