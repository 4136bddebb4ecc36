import type { Command } from 'commander';
import { badInput } from '../errors.js';
import type { Stack } from '../compose/types.js';
import { globalsOf } from './globals.js';
import { loadStackOrProject } from './lifecycle.js';

/** What the UI needs to know about the stack file (wanted replicas, clients). */
export function uiTargetOf(stack: Stack | undefined, project: string) {
  return {
    project,
    stackName: stack?.name,
    client: stack?.client,
    services: stack
      ? Object.values(stack.services).map((s) => ({ name: s.name, replicas: s.replicas, image: s.image }))
      : [],
  };
}

/** Clients of the stack for the UI's `c` key (listClients by the spec module). */
export async function clientsOf(stack: Stack | undefined): Promise<{ names: string[]; active?: string }> {
  if (!stack) return { names: [] };
  const { listClients } = await import('../compose/index.js');
  return { names: listClients(stack), active: stack.client };
}

/**
 * The UI's client switch is `berth use NAME` itself (stop the stack's other clients, bring NAME up, record it
 * as active), run as a child with the same global options, so the UI never re-implements the switch; then the
 * UI follows the new client's project. Not offered with -p, which `berth use` refuses.
 */
function switcher(cmd: Command) {
  const g = globalsOf(cmd);
  if (g.projectName) return undefined;
  return async (name: string) => {
    const [{ execFile }, { promisify }, { loadFromCli }] = await Promise.all([
      import('node:child_process'),
      import('node:util'),
      import('./load.js'),
    ]);
    const args: string[] = [];
    for (const f of g.file) args.push('-f', f);
    if (g.projectDirectory) args.push('--project-directory', g.projectDirectory);
    for (const p of g.profile) args.push('--profile', p);
    for (const e of g.envFile) args.push('--env-file', e);
    try {
      await promisify(execFile)(process.execPath, [process.argv[1]!, ...args, 'use', name], {
        env: { ...process.env, NO_COLOR: '1', BERTH_CLIENT: '' },
        maxBuffer: 16 * 1024 * 1024,
      });
    } catch (err) {
      const e = err as { stderr?: string; message: string };
      throw new Error((e.stderr ?? e.message).trim().split('\n').slice(-1)[0] ?? 'berth use failed');
    }
    const next = loadFromCli(cmd, { client: name, quiet: true });
    return uiTargetOf(next, next.project);
  };
}

export function register(program: Command): void {
  program
    .command('ui')
    .description('live terminal view: services (state, health, ports, uptime, restarts) and their logs')
    .option('-n, --tail <n>', 'lines of history per container to start with', '50')
    .action(async (flags: { tail: string }, cmd: Command) => {
      if (!process.stdout.isTTY || !process.stdin.isTTY) {
        throw badInput('berth ui needs a terminal', {
          hint: 'for pipes and scripts use `berth logs -f` and `berth ps`',
        });
      }
      const tail = Number(flags.tail);
      if (!Number.isInteger(tail) || tail < 0) throw badInput(`--tail ${flags.tail}: expected a line count`);
      const { stack, project } = await loadStackOrProject(cmd);
      const { runUi } = await import('../tui/index.js');
      const g = globalsOf(cmd);
      await runUi({
        ...uiTargetOf(stack, project),
        color: !g.noColor,
        tail,
        clients: () => clientsOf(stack),
        switchClient: stack ? switcher(cmd) : undefined,
      });
    });
}
