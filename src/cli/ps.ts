import type { Command } from 'commander';
import type { ObservedContainer } from '../model/index.js';
import { badInput } from '../errors.js';
import { loadTargetServices, opContext } from './lifecycle.js';

interface PsFlags {
  all?: boolean;
  format?: string;
  quiet?: boolean;
  services?: boolean;
}

/** One container as `docker compose ps --format json` prints it (one JSON object per line). */
export function psJson(c: ObservedContainer) {
  const exit = /^Exited \((\d+)\)/.exec(c.status);
  return {
    ID: c.id,
    Name: c.name,
    Names: c.name,
    Image: c.image,
    Command: c.command,
    Project: c.project,
    Service: c.service,
    Replica: c.replica,
    Created: c.created,
    State: c.state,
    Status: c.status,
    Health: c.health ?? '',
    ExitCode: exit ? Number(exit[1]) : 0,
    Publishers: c.ports.map((p) => ({
      URL: p.hostIp,
      TargetPort: p.target,
      PublishedPort: p.hostPort,
      Protocol: p.protocol,
    })),
    Networks: c.networks.join(','),
    Labels: Object.entries(c.labels)
      .map(([k, v]) => `${k}=${v}`)
      .join(','),
  };
}

export function portsText(c: ObservedContainer): string {
  return c.ports.map((p) => `${p.hostIp}:${p.hostPort}->${p.target}/${p.protocol}`).join(', ');
}

export function psTable(rows: ObservedContainer[]): string {
  const head = ['NAME', 'IMAGE', 'SERVICE', 'STATUS', 'PORTS'];
  const cells = rows.map((c) => [c.name, c.image, c.service, c.status, portsText(c)]);
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i]!.length)));
  return `${[head, ...cells]
    .map((r) =>
      r
        .map((v, i) => (i === r.length - 1 ? v : v.padEnd(widths[i]!)))
        .join('   ')
        .trimEnd(),
    )
    .join('\n')}\n`;
}

export function register(program: Command): void {
  program
    .command('ps')
    .description('list the stack’s containers')
    .argument('[service...]', 'only these services')
    .option('-a, --all', 'also stopped containers')
    .option('--format <format>', 'table (default) or json (one object per line, as docker compose ps)')
    .option('-q, --quiet', 'only container IDs')
    .option('--services', 'only service names')
    .action(async (names: string[], flags: PsFlags, cmd: Command) => {
      const format = flags.format ?? 'table';
      if (format !== 'table' && format !== 'json')
        throw badInput(`--format ${format}: expected table or json`);
      const { services, ...target } = await loadTargetServices(cmd, names);
      const swarm = await import('./swarm.js');
      if (swarm.targetOf(cmd, target.stack) === 'swarm')
        return swarm.swarmPsVerb(cmd, target.project, { ...flags, format }, names);
      const { ps } = await import('../ops/ps.js');
      const rows = await ps(await opContext(), target, { services, all: flags.all });
      if (flags.quiet) process.stdout.write(rows.map((c) => `${c.id}\n`).join(''));
      else if (flags.services)
        process.stdout.write([...new Set(rows.map((c) => c.service))].map((s) => `${s}\n`).join(''));
      else if (format === 'json')
        process.stdout.write(rows.map((c) => `${JSON.stringify(psJson(c))}\n`).join(''));
      else process.stdout.write(psTable(rows));
    });
}
