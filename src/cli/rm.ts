import type { Command } from 'commander';
import { ExitCode } from '../errors.js';
import { loadStackOrProject, progressPrinter, selectServices } from './lifecycle.js';

interface RmFlags {
  force?: boolean;
  stop?: boolean;
  volumes?: boolean;
}

export function register(program: Command): void {
  program
    .command('rm')
    .description('remove stopped containers of the stack (running ones only with -s)')
    .argument('[service...]', 'only these services')
    .option('-f, --force', 'do not ask for confirmation (berth never asks; accepted as in Compose)')
    .option('-s, --stop', 'stop running containers first')
    .option('-v, --volumes', 'remove anonymous volumes attached to the containers')
    .action(async (names: string[], flags: RmFlags, cmd: Command) => {
      const { stack, project } = await loadStackOrProject(cmd);
      const selected = stack ? await selectServices(stack, names, false) : names.length ? names : undefined;
      const [{ lifecycleEngine }, { listProjectContainers }, { runStop }] = await Promise.all([
        import('../engine/light.js'),
        import('../engine/observe.js'),
        import('../executor/stop.js'),
      ]);
      const docker = await lifecycleEngine();
      const all = (await listProjectContainers(docker, project)).filter(
        (c) => !selected || selected.includes(c.service),
      );
      const running = all.filter(
        (c) => c.state === 'running' || c.state === 'restarting' || c.state === 'paused',
      );
      const targets = flags.stop ? all : all.filter((c) => !running.includes(c));
      if (!flags.stop && running.length)
        process.stderr.write(
          `berth: kept running containers (${running.map((c) => c.name).join(', ')}); \`berth rm -s\` stops and removes them\n`,
        );
      if (!targets.length) {
        process.stdout.write('No stopped containers\n');
        return;
      }
      const { errors } = await runStop(docker, stack, targets, {
        remove: true,
        volumes: flags.volumes,
        onEvent: await progressPrinter(cmd),
      });
      if (errors.length) process.exitCode = ExitCode.StackFailure;
    });
}
