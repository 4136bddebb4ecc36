import type { Command } from 'commander';
import { badInput } from '../errors.js';
import type { Stack } from '../model/stack.js';
import { Label } from '../model/index.js';
import { routerSettings, routeUrl } from '../stacks/router.js';
import { hideCiFromInk } from '../tui/interactive-env.js';
import { globalsOf } from './globals.js';
import { loadStackOrProject } from './lifecycle.js';

/** What the UI needs to know about the stack file (wanted replicas, clients). */
export function uiTargetOf(stack: Stack | undefined, project: string) {
  const web = stack?.web && stack.services[stack.web.service];
  const host = web?.labels[Label.route];
  return {
    project,
    stackName: stack?.name,
    client: stack?.client,
    // Loaded as routed (`berth use A B`): the router's port is the one this shell would start it on.
    url: host ? routeUrl(host, routerSettings(process.env).port) : undefined,
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
 * The UI's client switch is the `use` operation itself (stop the stack's other clients, bring NAME up, record it
 * as active); then the UI follows the new client's project. Not offered with -p, which `berth use` refuses.
 */
function switcher(cmd: Command) {
  const g = globalsOf(cmd);
  if (g.projectName) return undefined;
  return async (name: string) => {
    const [{ loadFromCli }, { checkClientName }, { switchClient }, { opContext }, { routerSettings }] =
      await Promise.all([
        import('./load.js'),
        import('../stacks/state.js'),
        import('../ops/switch.js'),
        import('./lifecycle.js'),
        import('../stacks/router.js'),
      ]);
    checkClientName(name);
    // Switching in the UI is `berth use NAME`: that client alone, on its own ports.
    const next = loadFromCli(cmd, { client: name, quiet: true, routed: false });
    const r = await switchClient(await opContext(), next, { router: routerSettings(process.env) });
    const failed = r.up.result?.failures.map((f) => f.service) ?? [];
    if (failed.length) throw new Error(`${name}: ${[...new Set(failed)].join(', ')} failed to start`);
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
      hideCiFromInk();
      const [{ runUi }, { opContext }] = await Promise.all([
        import('../tui/index.js'),
        import('./lifecycle.js'),
      ]);
      const g = globalsOf(cmd);
      await runUi({
        engine: (await opContext()).engine,
        ...uiTargetOf(stack, project),
        color: !g.noColor,
        tail,
        clients: () => clientsOf(stack),
        switchClient: stack ? switcher(cmd) : undefined,
      });
    });
}
