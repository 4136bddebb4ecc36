import type { Command } from 'commander';
import { ExitCode } from '../errors.js';
import { loadStackOrProject, progressPrinter } from './lifecycle.js';

interface DownFlags {
  volumes?: boolean;
  removeOrphans?: boolean;
  timeout?: string;
}

export function register(program: Command): void {
  program
    .command('down')
    .description('stop and remove the stack’s containers and networks (volumes only with -v)')
    .option('-v, --volumes', 'also remove the named volumes of the stack and anonymous volumes')
    .option('--remove-orphans', 'also remove containers of services not in the stack file')
    .option('-t, --timeout <seconds>', 'seconds to wait for each container to stop before killing it')
    .action(async (flags: DownFlags, cmd: Command) => {
      const { stack, project } = await loadStackOrProject(cmd);
      const [{ lifecycleEngine }, { observe }, { runStop }, { removeNetwork }, { removeVolume }] =
        await Promise.all([
          import('../engine/light.js'),
          import('../engine/observe.js'),
          import('../executor/stop.js'),
          import('../engine/networks.js'),
          import('../engine/volumes.js'),
        ]);
      const docker = await lifecycleEngine();
      const print = await progressPrinter(cmd);
      const observed = await observe(docker, project);
      // With a stack file, containers of services it no longer has are orphans: kept unless asked.
      const known = stack ? new Set([...Object.keys(stack.services), ...stack.disabledServices]) : undefined;
      const isOrphan = (service: string) => known !== undefined && !known.has(service);
      const containers = observed.containers.filter((c) => flags.removeOrphans || !isOrphan(c.service));
      const orphans = observed.containers.filter((c) => !containers.includes(c));
      if (orphans.length)
        print({
          type: 'warning',
          message: `found orphan containers (${orphans.map((o) => o.name).join(', ')}); \`berth down --remove-orphans\` removes them`,
        });
      const timeoutSec = flags.timeout === undefined ? undefined : Number(flags.timeout);
      const { errors } = await runStop(docker, stack, containers, {
        remove: true,
        volumes: flags.volumes,
        timeoutSec,
        onEvent: print,
      });
      const step = async (kind: 'Network' | 'Volume', name: string, fn: () => Promise<void>) => {
        const t0 = Date.now();
        try {
          await fn();
          print({ type: 'progress', kind, name, status: 'Removed', done: true, elapsedMs: Date.now() - t0 });
        } catch (err) {
          const { engineMessage } = await import('../executor/up.js');
          errors.push(`${kind.toLowerCase()} ${name}: ${engineMessage(err)}`);
          print({ type: 'progress', kind, name, status: 'Error', done: true, detail: engineMessage(err) });
        }
      };
      await Promise.all(
        observed.networks.map((n) => step('Network', n.name, () => removeNetwork(docker, n.id))),
      );
      if (flags.volumes)
        await Promise.all(
          observed.volumes.map((v) => step('Volume', v.name, () => removeVolume(docker, v.name))),
        );
      if (
        !observed.containers.length &&
        !observed.networks.length &&
        !(flags.volumes && observed.volumes.length)
      )
        process.stdout.write(`Nothing to remove for project ${project}.\n`);
      if (errors.length) {
        for (const e of errors) process.stderr.write(`berth: ${e}\n`);
        process.exitCode = ExitCode.StackFailure;
      }
    });
}
