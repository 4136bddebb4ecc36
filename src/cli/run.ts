import type { Command } from 'commander';
import { BerthError, badInput, ExitCode } from '../errors.js';
import type { PortSpec, Stack } from '../compose/types.js';
import { colorWanted, loadStackFor, selectServices } from './lifecycle.js';
import { collect, envEntries, openTerminal } from './terminal.js';

interface RunFlags {
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
    .passThroughOptions()
    .action(async (service: string, command: string[], flags: RunFlags, cmd: Command) => {
      const stack = await loadStackFor(cmd);
      await selectServices(stack, [service], false);
      const ports = flags.publish.map(parsePublish);
      const [{ connectEngine }, { ensureImage }, { randomBytes }] = await Promise.all([
        import('../engine/client.js'),
        import('../engine/images.js'),
        import('node:crypto'),
      ]);
      const docker = await connectEngine();
      // stdout belongs to the container: berth's own progress goes to stderr, as with Compose
      const { plainRenderer } = await import('../executor/render.js');
      const print = plainRenderer({
        color: colorWanted(cmd) && process.stderr.isTTY === true,
        write: (s) => process.stderr.write(s),
      });
      if (flags.deps) await startDependencies(docker, stack, service, print);
      const svc = stack.services[service]!;
      await ensureImage(docker, svc, {
        stack: stack.name,
        build: flags.build ? true : undefined,
        onProgress: (p) => {
          if (p.kind === 'status')
            print({ type: 'image', service: p.service, message: `${p.image} ${p.message}` });
        },
      });
      await ensureNetworksAndVolumes(docker, stack, service);

      const detach = flags.detach === true;
      const term = openTerminal(flags.TTY === false || detach);
      const name = flags.name ?? `${stack.project}-${service}-run-${randomBytes(3).toString('hex')}`;
      const { containerForOneOff } = await import('../engine/oneoff.js');
      const plan = containerForOneOff(stack, service, {
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
      const [{ createContainer, removeContainer, stopContainer }, { attachAndStart }] = await Promise.all([
        import('../engine/containers.js'),
        import('../engine/exec.js'),
      ]);
      let id: string;
      try {
        id = await createContainer(docker, plan);
      } catch (err) {
        term.restore();
        const e = err as { json?: { message?: string } };
        throw new BerthError(
          `cannot create the one-off container for ${service}: ${e.json?.message?.trim() ?? String(err)}`,
        );
      }
      if (detach) {
        term.restore();
        await docker.getContainer(id).start();
        process.stdout.write(`${name}\n`);
        return;
      }
      // Ctrl-C without a terminal (with one, it goes to the container as a key): stop the container
      const onSig = () => void stopContainer(docker, id, 2);
      if (!term.tty) process.on('SIGINT', onSig);
      try {
        const session = await attachAndStart(docker, id, {
          tty: term.tty,
          size: term.size,
          stdin: term.stdin,
          stdout: process.stdout,
          stderr: process.stderr,
        });
        term.follow(session.resize);
        process.exitCode = await session.done;
      } catch (err) {
        process.exitCode = ExitCode.StackFailure;
        const e = err as { json?: { message?: string } };
        throw new BerthError(`cannot run ${service}: ${e.json?.message?.trim() ?? (err as Error).message}`);
      } finally {
        process.removeListener('SIGINT', onSig);
        term.restore();
        if (flags.rm) await removeContainer(docker, id, { force: true, volumes: true });
      }
    });
}

/** Bring up what the service depends on (not the service itself), through the same planner and executor as `up`. */
async function startDependencies(
  docker: import('dockerode'),
  stack: Stack,
  service: string,
  print: import('../executor/events.js').RunListener,
): Promise<void> {
  const deps = ((await selectServices(stack, [service], true)) ?? []).filter((s) => s !== service);
  if (deps.length === 0) return;
  const [{ observe }, { planUp }, { ensureImages }, { checkPorts }, { runUp }] = await Promise.all([
    import('../engine/observe.js'),
    import('../plan/index.js'),
    import('../engine/images.js'),
    import('../executor/preflight.js'),
    import('../executor/up.js'),
  ]);
  const wanted = deps.map((d) => stack.services[d]!);
  const imageIds = await ensureImages(docker, wanted, {
    stack: stack.name,
    onProgress: (p) => {
      if (p.kind === 'status')
        print({ type: 'image', service: p.service, message: `${p.image} ${p.message}` });
    },
  });
  const plan = planUp(stack, await observe(docker, stack.project), {
    imageIds: Object.fromEntries(imageIds),
    services: deps,
  });
  if (plan.actions.length === 0) return;
  await checkPorts(docker, stack, plan);
  // healthy dependencies must be healthy before the one-off starts, as `up` would have it
  const own = stack.services[service]!.depends_on;
  const wait = Object.values(own).some((d) => d.condition === 'service_healthy');
  const result = await runUp(docker, stack, plan, { onEvent: print, wait });
  if (!result.ok) {
    const names = [...new Set(result.failures.map((f) => f.service))];
    throw new BerthError(`dependencies of ${service} failed to start: ${names.join(', ')}`, {
      hint: `see above; \`berth run --no-deps ${service}\` runs it without them`,
    });
  }
}

/** The service's own networks and volumes, which `up` of its dependencies may not have made. */
async function ensureNetworksAndVolumes(
  docker: import('dockerode'),
  stack: Stack,
  service: string,
): Promise<void> {
  const [{ createNetwork }, { createVolume }] = await Promise.all([
    import('../engine/networks.js'),
    import('../engine/volumes.js'),
  ]);
  const svc = stack.services[service]!;
  const nets = svc.network_mode ? [] : Object.keys(svc.networks).filter((k) => !stack.networks[k]?.external);
  const vols = [
    ...new Set(
      svc.volumes
        .filter(
          (m) =>
            m.type === 'volume' && m.source && stack.volumes[m.source] && !stack.volumes[m.source]!.external,
        )
        .map((m) => m.source!),
    ),
  ];
  await Promise.all([
    ...nets.map((k) => createNetwork(docker, stack, k)),
    ...vols.map((k) => createVolume(docker, stack, k)),
  ]);
}
