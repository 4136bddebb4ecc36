import type { Command } from 'commander';
import { badInput } from '../errors.js';
import type { Stack } from '../spec/types.js';
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
  const { listClients } = await import('../spec/index.js');
  return { names: listClients(stack), active: stack.client };
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
      });
    });
}
