import type { Command } from 'commander';
import { badInput, ExitCode } from '../errors.js';
import type { PortSpec } from '../model/stack.js';
import { colorWanted, loadStackFor, opContext, selectServices } from './lifecycle.js';
import { collect, envEntries, openTerminal } from './terminal.js';
import { PULL_OPTION, parsePull } from './up.js';

interface RunFlags {
  pull?: string;
  rm?: boolean;
  detach?: boolean;
  env: string[];
  entrypoint?: string;
  deps: boolean;
  TTY: boolean;
  name?: string;
  user?: string;
  workdir?: string;
  publish: string[];
  servicePorts?: boolean;
  build?: boolean;
}

/** `-p [ip:][host:]container[/proto]` as Docker reads it; the host IP defaults to 127.0.0.1 as for the stack. */
export function parsePublish(spec: string): PortSpec {
  const m = /^(?:(?:(\[[^\]]+\]|[\d.]+):)?(\d*(?:-\d+)?):)?(\d+)(?:\/(tcp|udp|sctp))?$/.exec(spec);
  if (!m) throw badInput(`--publish ${spec}: expected [HOST_IP:][HOST_PORT:]CONTAINER_PORT[/PROTOCOL]`);
  return {
    target: Number(m[3]),
    published: m[2] || undefined,
    host_ip: m[1]?.replace(/^\[|\]$/g, '') ?? '127.0.0.1',
    protocol: (m[4] as PortSpec['protocol']) ?? 'tcp',
  };
}

/** Compose splits `--entrypoint "sh -c"` on spaces into the entrypoint list. */
const splitWords = (s: string) => s.split(/\s+/).filter(Boolean);

export function register(program: Command): void {
  program
    .command('run')
    .description("a one-off container from a service's definition; exits with the container's exit code")
    .argument('<service>', 'service to run')
    .argument('[command...]', "command and its arguments (default: the service's)")
    .option('--rm', 'remove the container when it exits')
    .option('-d, --detach', 'run in the background and print the container name')
    .option('-e, --env <K=V>', 'set an environment variable (repeatable)', collect, [])
    .option('--entrypoint <cmd>', "override the image's entrypoint")
    .option('--no-deps', 'do not start the services it depends on')
    .option('-T, --no-TTY', 'no pseudo-terminal, even when stdin and stdout are terminals')
    .option('--name <name>', 'container name (default: <project>-<service>-run-<random>)')
    .option('-u, --user <user>', 'run as this user (name or uid[:gid])')
    .option('-w, --workdir <dir>', 'working directory inside the container')
    .option(
      '-p, --publish <ports>',
      'publish a port, [ip:][host:]container (repeatable; ip defaults to 127.0.0.1)',
      collect,
      [],
    )
    .option('--service-ports', "publish the service's own ports too (not done by default, as with Compose)")
    .option('--build', 'build the image before running')
    .option(...PULL_OPTION)
    .passThroughOptions()
    .action(async (service: string, command: string[], flags: RunFlags, cmd: Command) => {
      const pull = parsePull(flags.pull);
      const stack = (await import('../ops/up.js')).withPullPolicy(await loadStackFor(cmd, [service]), pull);
      selectServices(stack, [service], false);
      const ports = flags.publish.map(parsePublish);
      const { prepareRun, createOneOff, runAttached, oneOffName } = await import('../ops/run.js');
      // stdout belongs to the container: berth's own progress goes to stderr, as with Compose
      const { plainRenderer } = await import('../executor/render.js');
      const print = plainRenderer({
        color: colorWanted(cmd) && process.stderr.isTTY === true,
        write: (s) => process.stderr.write(s),
      });
      const ctx = await opContext(print);
      const svc = stack.services[service]!;
      await prepareRun(ctx, stack, service, { deps: flags.deps !== false, build: flags.build });

      const detach = flags.detach === true;
      const term = openTerminal(flags.TTY === false || detach);
      const name = flags.name ?? oneOffName(stack.project, service);
      let id: string;
      try {
        id = await createOneOff(ctx, {
          stack,
          service,
          name,
          command: command.length ? command : undefined,
          entrypoint: flags.entrypoint === undefined ? undefined : splitWords(flags.entrypoint),
          env: envEntries(flags.env),
          user: flags.user,
          workdir: flags.workdir,
          ports: flags.servicePorts ? [...svc.ports, ...ports] : ports,
          tty: term.tty,
          stdin: !detach,
          autoRemove: detach && flags.rm === true,
        });
      } catch (err) {
        term.restore();
        throw err;
      }
      if (detach) {
        term.restore();
        await ctx.engine.startContainer(id);
        process.stdout.write(`${name}\n`);
        return;
      }
      // Ctrl-C without a terminal (with one, it goes to the container as a key): stop the container
      const onSig = () => void ctx.engine.stopContainer(id, 2);
      if (!term.tty) process.on('SIGINT', onSig);
      try {
        process.exitCode = await runAttached(
          ctx,
          id,
          service,
          {
            tty: term.tty,
            size: term.size,
            stdin: term.stdin,
            stdout: process.stdout,
            stderr: process.stderr,
          },
          { remove: flags.rm, onSession: (session) => term.follow(session.resize) },
        );
      } catch (err) {
        process.exitCode = ExitCode.StackFailure;
        throw err;
      } finally {
        process.removeListener('SIGINT', onSig);
        term.restore();
      }
    });
}
