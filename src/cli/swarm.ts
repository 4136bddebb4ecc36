// The verbs' swarm branches (`--target swarm`, BERTH_TARGET=swarm, or `x-berth: {target: swarm}` in the
// file): the same flags, acted out by ops/deploy.ts on the swarm the engine manages.
import type { Command } from 'commander';
import type { Stack } from '../model/stack.js';
import type { SwarmContext } from '../ops/deploy.js';
import { globalsOf } from './globals.js';
import { colorWanted, interruptOnSigint, progressPrinter } from './lifecycle.js';

export { type Target, targetOf } from './target.js';

async function swarmContext(cmd: Command, withProgress = true, signal?: AbortSignal): Promise<SwarmContext> {
  const [{ connect }, { connectSwarm }] = await Promise.all([
    import('../engine/connect.js'),
    import('../engine/swarm-docker.js'),
  ]);
  const engine = await connect();
  return {
    engine,
    swarm: await connectSwarm(),
    onEvent: withProgress ? await progressPrinter(cmd) : undefined,
    signal,
  };
}

export async function swarmUp(
  cmd: Command,
  file: Stack,
  flags: SwarmUpFlags,
  opts: { names?: string[]; scale?: Record<string, number> } = {},
): Promise<void> {
  const [{ deploy }, { formatDeployPlan }, { withReplicas }] = await Promise.all([
    import('../ops/deploy.js'),
    import('../swarm/plan.js'),
    import('../swarm/scale.js'),
  ]);
  const stack = withReplicas(file, opts.scale ?? {});
  const ignored = notOnSwarm(flags, opts.names ?? []);
  if (ignored.length)
    process.stderr.write(
      `berth: not applied on a swarm target: ${ignored.join(', ')} (a swarm stack is deployed whole; only services whose spec changed are updated)\n`,
    );
  const sigint = interruptOnSigint();
  try {
    const ctx = await swarmContext(cmd, true, sigint.signal);
    const registry = globalsOf(cmd).registry ?? process.env.BERTH_REGISTRY;
    const { plan } = await deploy(ctx, stack, {
      registry,
      wait: flags.wait,
      waitTimeoutMs: flags.waitTimeout === undefined ? undefined : Number(flags.waitTimeout) * 1000,
      dryRun: flags.dryRun,
      removeOrphans: flags.removeOrphans,
    });
    if (flags.dryRun || plan.actions.every((a) => a.do === 'none'))
      process.stdout.write(`${formatDeployPlan(plan, stack.project).join('\n')}\n`);
  } finally {
    sigint.dispose();
  }
}

export interface SwarmUpFlags {
  wait?: boolean;
  waitTimeout?: string;
  dryRun?: boolean;
  removeOrphans?: boolean;
  forceRecreate?: boolean;
  recreate?: boolean;
  alwaysRecreateDeps?: boolean;
  renewAnonVolumes?: boolean;
  deps?: boolean;
  start?: boolean;
}

/** `up`'s service names and flags that change nothing on a swarm: said once, rather than silently dropped. */
export function notOnSwarm(flags: SwarmUpFlags, names: readonly string[]): string[] {
  const out: string[] = [];
  if (names.length) out.push(`the service names (${names.join(', ')})`);
  if (flags.forceRecreate) out.push('--force-recreate');
  if (flags.recreate === false) out.push('--no-recreate');
  if (flags.alwaysRecreateDeps) out.push('--always-recreate-deps');
  if (flags.renewAnonVolumes) out.push('--renew-anon-volumes');
  if (flags.deps === false) out.push('--no-deps');
  if (flags.start === false) out.push('--no-start');
  return out;
}

export async function swarmDown(cmd: Command, project: string, flags: { volumes?: boolean }): Promise<void> {
  const { undeploy } = await import('../ops/deploy.js');
  const removed = await undeploy(await swarmContext(cmd), project, { volumes: flags.volumes });
  if (!removed.length) process.stdout.write(`Nothing to remove for project ${project}.\n`);
}

export async function swarmPsVerb(
  cmd: Command,
  project: string,
  flags: { all?: boolean; format?: string; quiet?: boolean; services?: boolean },
  names: string[],
): Promise<void> {
  const { swarmPs } = await import('../ops/deploy.js');
  const rows = (await swarmPs(await swarmContext(cmd, false), project, { all: flags.all })).filter(
    (r) => !names.length || names.includes(r.service),
  );
  if (flags.quiet) process.stdout.write(rows.map((r) => `${r.id}\n`).join(''));
  else if (flags.services)
    process.stdout.write([...new Set(rows.map((r) => r.service))].map((s) => `${s}\n`).join(''));
  else if (flags.format === 'json')
    process.stdout.write(
      rows
        .map(
          (r) =>
            `${JSON.stringify({ ID: r.id, Service: r.service, Slot: r.slot ?? null, Node: r.node, State: r.state, DesiredState: r.desired, Health: r.health ?? '', Ports: r.ports.join(', '), Error: r.error ?? '' })}\n`,
        )
        .join(''),
    );
  else {
    const table = [
      ['SERVICE', 'SLOT', 'NODE', 'STATE', 'HEALTH', 'PORTS', 'ERROR'],
      ...rows.map((r) => [
        r.service,
        String(r.slot ?? ''),
        r.node,
        r.state,
        r.health ?? '',
        r.ports.join(', '),
        r.error ?? '',
      ]),
    ];
    const w = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
    process.stdout.write(
      `${table
        .map((row) =>
          row
            .map((c, i) => c.padEnd(w[i]!))
            .join('   ')
            .trimEnd(),
        )
        .join('\n')}\n`,
    );
  }
}

export async function swarmLogs(
  cmd: Command,
  project: string,
  services: string[],
  flags: { follow?: boolean; tail?: string; timestamps?: boolean; prefix?: boolean },
): Promise<void> {
  const [{ swarmLogStreams }, { LogDecoder }, { colourMap }, { Chalk }] = await Promise.all([
    import('../ops/deploy.js'),
    import('../logs/decode.js'),
    import('../logs/format.js'),
    import('chalk'),
  ]);
  const tail = flags.tail === undefined || flags.tail === 'all' ? 'all' : Number(flags.tail);
  const streams = await swarmLogStreams(await swarmContext(cmd, false), project, {
    follow: !!flags.follow,
    tail,
    timestamps: !!flags.timestamps,
    services,
  });
  const chalk = new Chalk({ level: colorWanted(cmd) ? 1 : 0 });
  const colours = colourMap(streams.map((s) => s.service));
  const width = Math.max(0, ...streams.map((s) => s.service.length));
  await Promise.all(
    streams.map(async ({ service, stream }) => {
      const dec = new LogDecoder({ tty: false, timestamps: !!flags.timestamps });
      const prefix =
        flags.prefix === false ? '' : `${chalk[colours.get(service)!](service.padEnd(width))} | `;
      for await (const chunk of stream as AsyncIterable<Buffer>)
        for (const l of dec.push(chunk))
          process.stdout.write(`${prefix}${flags.timestamps ? `${l.ts} ` : ''}${l.text}\n`);
    }),
  );
}

/** `config --target swarm`: what each key becomes, then the swarm objects berth would deploy. */
export async function swarmConfig(stack: Stack, format: string): Promise<string> {
  const [{ translate }, { readFileSync }] = await Promise.all([
    import('../swarm/translate.js'),
    import('node:fs'),
  ]);
  const t = translate(stack, { read: (f) => readFileSync(f) });
  const doc = {
    keys: t.reports.map((r) => ({
      service: r.service,
      key: r.key,
      outcome: r.outcome,
      note: r.note,
      at: r.at,
    })),
    warnings: t.warnings,
    services: Object.fromEntries(t.services.map((s) => [s.spec.name, s.spec])),
    networks: t.networks.map((n) => n.name),
    secrets: t.objects.filter((o) => o.kind === 'secret').map((o) => o.name),
    configs: t.objects.filter((o) => o.kind === 'config').map((o) => o.name),
  };
  if (format === 'json') return `${JSON.stringify(doc, null, 2)}\n`;
  const { stringify } = await import('yaml');
  return stringify(doc, { lineWidth: 0 });
}

export async function swarmLs(cmd: Command, format: string): Promise<void> {
  const { swarmStacks } = await import('../ops/deploy.js');
  const ctx = await swarmContext(cmd, false);
  const rows = await swarmStacks(ctx.swarm);
  if (format === 'json')
    process.stdout.write(
      `${JSON.stringify(
        rows.map((r) => ({ Name: r.project, Target: 'swarm', Services: r.services })),
        null,
        2,
      )}\n`,
    );
  else
    process.stdout.write(
      `${['NAME\tTARGET\tSERVICES', ...rows.map((r) => `${r.project}\tswarm\t${r.services}`)].join('\n')}\n`,
    );
}
