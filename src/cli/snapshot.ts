import { type Command, InvalidArgumentError } from 'commander';
import { badInput } from '../errors.js';
import type { Stack } from '../model/stack.js';

/** The stack this verb acts on and, when a service is named, the service checked against the stack file. */
export interface ServiceTarget {
  stack: Stack;
  project: string;
  service?: string;
}

export async function serviceTarget(cmd: Command, service: string | undefined): Promise<ServiceTarget> {
  const { loadFromCli } = await import('./load.js');
  const stack = await loadFromCli(cmd);
  if (service !== undefined && !stack.services[service]) {
    const disabled = stack.disabledServices.includes(service);
    throw badInput(
      disabled
        ? `service ${service} is not enabled (its profiles are not active)`
        : `no such service: ${service}`,
      {
        hint: disabled
          ? 'enable its profile with --profile'
          : `services of ${stack.project}: ${Object.keys(stack.services).join(', ')}`,
      },
    );
  }
  return { stack, project: stack.project, service };
}

export const parseIndex = (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a replica number (1, 2, ...)');
  return n;
};

export const checkFormat = (format: string) => {
  if (format !== 'table' && format !== 'json') throw badInput(`--format ${format}: expected table or json`);
};

interface SnapshotOptions {
  tag?: string;
  index?: number;
  list?: boolean;
  format: string;
  data?: boolean;
  rm?: string;
}

export function register(program: Command): void {
  program
    .command('snapshot')
    .description("commit a service's container to an image labelled with project, service and time")
    .argument('[service]', 'service to snapshot')
    .option('-t, --tag <name>', 'image tag (default: the UTC time, e.g. 20261121-205803)')
    .option('--index <n>', 'replica to snapshot (default: 1)', parseIndex)
    .option('--list', 'list the snapshots of this stack (every client)')
    .option('--format <format>', 'table or json (with --list)', 'table')
    .option(
      '--data',
      "save the client's named volumes (its data) instead of a container; `berth restore TAG` puts them back",
    )
    .option('--rm <tag>', 'with --data: delete that data snapshot')
    .addHelpText(
      'after',
      '\nThe image is berth-snapshot/<project>-<service>:<tag>. Run a service from it by setting\n' +
        '`image:` to that name in the client overlay (clients/<client>.yaml), then `berth up`.\n' +
        '\nWith --data, every named volume of the client is copied (the services writing to it stopped meanwhile) into volumes\n' +
        'berth-data-<project>-<volume>-<tag>, which `down -v` never removes.',
    )
    .action(async (service: string | undefined, opts: SnapshotOptions, cmd: Command) => {
      checkFormat(opts.format);
      if (opts.data) return dataSnapshot(service, opts, cmd);
      if (opts.rm !== undefined)
        throw badInput('--rm deletes a data snapshot: `berth snapshot --data --rm TAG`');
      const { checkTag, formatSnapshotTable, sortSnapshots } = await import('../stacks/snapshots.js');
      if (opts.tag !== undefined) checkTag(opts.tag);
      if (!opts.list && service === undefined)
        throw badInput('which service? `berth snapshot SERVICE` (or `berth snapshot --list`)');
      const target = await serviceTarget(cmd, opts.list ? undefined : service);
      const [{ opContext }, { snapshot, listSnapshots }] = await Promise.all([
        import('./lifecycle.js'),
        import('../ops/snapshot.js'),
      ]);
      const ctx = await opContext();
      if (opts.list) {
        const list = sortSnapshots(
          await listSnapshots(ctx, { stack: target.stack.name, service: service ?? undefined }),
        );
        process.stdout.write(
          opts.format === 'json'
            ? `${JSON.stringify(list, null, 2)}\n`
            : `${list.length ? formatSnapshotTable(list) : 'no snapshots of this stack yet'}\n`,
        );
        return;
      }
      const snap = await snapshot(ctx, {
        project: target.project,
        stack: target.stack.name,
        client: target.stack.client,
        service: service!,
        index: opts.index,
        tag: opts.tag,
      });
      process.stdout.write(`${snap.ref}\n`);
      process.stderr.write(
        `snapshot of ${target.project}/${service} saved; to run from it, set \`image: ${snap.ref}\` for ${service} in ${
          target.stack.client ? `clients/${target.stack.client}.yaml` : 'an overlay'
        }\n`,
      );
    });
}

async function dataSnapshot(service: string | undefined, opts: SnapshotOptions, cmd: Command): Promise<void> {
  if (service !== undefined)
    throw badInput('`snapshot --data` saves every volume of the client: it takes no service name');
  if (opts.index !== undefined) throw badInput('--index is for container snapshots, not --data');
  const { checkTag, humanSize } = await import('../stacks/snapshots.js');
  if (opts.tag !== undefined) checkTag(opts.tag);
  if (opts.rm !== undefined) checkTag(opts.rm);
  const { loadFromCli } = await import('./load.js');
  const stack = await loadFromCli(cmd);
  const [{ opContext, progressPrinter }, ops] = await Promise.all([
    import('./lifecycle.js'),
    import('../ops/data-snapshot.js'),
  ]);
  if (opts.list) {
    const list = await ops.listDataSnapshots(await opContext(), { stack: stack.name, sizes: true });
    if (opts.format === 'json') {
      process.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
      return;
    }
    if (!list.length) {
      process.stdout.write(`no data snapshots of ${stack.name} yet\n`);
      return;
    }
    const rows = [
      ['TAG', 'CLIENT', 'VOLUMES', 'SIZE', 'TAKEN'],
      ...list.map((s) => [
        s.tag,
        s.client ?? '-',
        Object.keys(s.volumes).join(','),
        humanSize(s.sizeBytes ?? 0),
        s.time.replace('T', ' ').replace(/\.\d+Z$/, 'Z'),
      ]),
    ];
    const w = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
    process.stdout.write(
      `${rows
        .map((r) =>
          r
            .map((c, i) => c.padEnd(w[i]!))
            .join('   ')
            .trimEnd(),
        )
        .join('\n')}\n`,
    );
    return;
  }
  if (opts.rm !== undefined) {
    const gone = await ops.removeDataSnapshot(await opContext(), stack, opts.rm);
    process.stderr.write(
      `data snapshot ${gone.tag} of ${stack.project} deleted (${Object.values(gone.volumes).join(', ')})\n`,
    );
    return;
  }
  const r = await ops.snapshotData(await opContext(await progressPrinter(cmd)), stack, { tag: opts.tag });
  process.stdout.write(`${r.tag}\n`);
  if (r.failed) {
    process.stderr.write(
      `berth: data saved as ${r.tag}, but ${r.failed.join(', ')} failed to start again; see above\n`,
    );
    process.exitCode = 1;
    return;
  }
  process.stderr.write(
    `data of ${stack.project} saved as ${r.tag} (${Object.keys(r.volumes).join(', ')}) in ${(r.ms / 1000).toFixed(1)}s` +
      (r.stopped.length ? `, ${r.stopped.join(', ')} stopped for the copy and healthy again` : '') +
      `; \`berth restore ${r.tag}\` puts it back\n`,
  );
}
