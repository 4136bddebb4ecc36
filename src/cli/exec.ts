import type { Command } from 'commander';
import { badInput } from '../errors.js';
import { stackTarget } from './stack-target.js';
import { collect, envEntries, openTerminal } from './terminal.js';

interface ExecFlags {
  detach?: boolean;
  TTY: boolean;
  env: string[];
  user?: string;
  workdir?: string;
  index?: string;
  privileged?: boolean;
}

export function register(program: Command): void {
  program
    .command('exec')
    .description("run a command in a service's running container; exits with the command's exit code")
    .argument('<service>', 'service whose container runs the command')
    .argument('<command...>', 'command and its arguments (options after the service belong to the command)')
    .option('-d, --detach', 'run the command in the background')
    .option('-T, --no-TTY', 'no pseudo-terminal, even when stdin and stdout are terminals')
    .option('-e, --env <K=V>', 'set an environment variable (repeatable)', collect, [])
    .option('-u, --user <user>', 'run as this user (name or uid[:gid])')
    .option('-w, --workdir <dir>', 'working directory inside the container')
    .option('--index <n>', 'which replica of the service', '1')
    .option('--privileged', 'give the command extended privileges')
    .passThroughOptions()
    .action(async (service: string, command: string[], flags: ExecFlags, cmd: Command) => {
      const index = Number(flags.index);
      if (!Number.isInteger(index) || index < 1)
        throw badInput(`--index ${flags.index}: expected a replica number (1, 2, ...)`);
      const target = await stackTarget(cmd);
      if (target.services && !target.services.some((s) => s.name === service)) {
        throw badInput(`no such service: ${service}`, {
          hint: `services: ${target.services.map((s) => s.name).join(', ')}`,
        });
      }
      const [{ opContext }, { exec }] = await Promise.all([
        import('./lifecycle.js'),
        import('../ops/exec.js'),
      ]);
      const ctx = await opContext();
      const term = openTerminal(flags.TTY === false || flags.detach === true);
      try {
        const session = await exec(
          ctx,
          { project: target.project, service, index },
          {
            cmd: command,
            env: envEntries(flags.env),
            user: flags.user,
            workdir: flags.workdir,
            privileged: flags.privileged,
            detach: flags.detach,
            tty: term.tty,
            size: term.size,
            stdin: flags.detach ? undefined : term.stdin,
            stdout: process.stdout,
            stderr: process.stderr,
          },
        );
        term.follow(session.resize);
        process.exitCode = await session.done;
      } finally {
        term.restore();
      }
    });
}
