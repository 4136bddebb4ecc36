import type { Command } from 'commander';
import { badInput, BerthError } from '../errors.js';
import { opContext } from './lifecycle.js';
import { parseIndex, targetAndServices } from './verb-target.js';

export function register(program: Command): void {
  program
    .command('port')
    .description('the host address a container port of a service is published on')
    .argument('<service>', 'the service')
    .argument('<private_port>', 'the container port')
    .option('--protocol <proto>', 'tcp or udp', 'tcp')
    .option('--index <n>', 'replica number, if the service has several')
    .action(
      async (service: string, privatePort: string, flags: { protocol: string; index?: string }, cmd) => {
        const n = Number(privatePort);
        if (!Number.isInteger(n) || n < 1 || n > 65535)
          throw badInput(`${privatePort}: expected a port number`);
        if (flags.protocol !== 'tcp' && flags.protocol !== 'udp' && flags.protocol !== 'sctp')
          throw badInput(`--protocol ${flags.protocol}: expected tcp or udp`);
        const { target } = await targetAndServices(cmd, [service]);
        const { port } = await import('../ops/inspect.js');
        const p = await port(await opContext(), target, {
          service,
          port: n,
          protocol: flags.protocol,
          index: parseIndex(flags.index),
        });
        if (!p) throw new BerthError(`no port ${n}/${flags.protocol} published for service "${service}"`);
        process.stdout.write(`${p.hostIp}:${p.hostPort}\n`);
      },
    );
}
