// `berth config`: load, validate and print the stack in canonical long form (no engine needed).
import type { Command } from 'commander';
import { badInput } from '../errors.js';

export function register(program: Command): void {
  program
    .command('config')
    .description('Validate the stack file(s) and print the canonical configuration')
    .option('--format <format>', 'output format: yaml or json', 'yaml')
    .option('--services', 'print the service names, one per line, in start order')
    .option('--volumes', 'print the volume names, one per line')
    .option('--networks', 'print the network names, one per line')
    .option('--profiles', 'print the profile names, one per line')
    .option('--images', 'print the image names, one per line')
    .option('-q, --quiet', 'only validate; print nothing (the exit code tells)')
    .option(
      '--no-env-resolution',
      'print `environment` as written and keep `env_file` (as docker compose does)',
    )
    .option('-o, --output <file>', 'write the configuration to a file instead of stdout')
    .action(async (o: Record<string, string | boolean | undefined>, cmd: Command) => {
      if (o.format !== 'yaml' && o.format !== 'json') {
        throw badInput(`--format ${String(o.format)}: use yaml or json`);
      }
      const { loadFromCli } = await import('./load.js');
      const stack = loadFromCli(cmd, { quiet: Boolean(o.quiet) });
      // the load checked the graph (cycles, missing services); the order is only for printing
      if (o.quiet) {
        // valid: the answer depends on the files the load read and the environment alone
        (await import('../memo/record.js')).offerMemo();
        return;
      }
      const { buildGraph, startOrder } = await import('../graph/index.js');
      const order = startOrder(buildGraph(stack));
      let out: string;
      const swarm = await import('./swarm.js');
      if (
        swarm.targetOf(cmd, stack) === 'swarm' &&
        !o.services &&
        !o.volumes &&
        !o.networks &&
        !o.profiles &&
        !o.images
      )
        out = await swarm.swarmConfig(stack, String(o.format));
      else if (o.services) out = lines(order);
      else if (o.volumes) out = lines(Object.keys(stack.volumes));
      else if (o.networks) out = lines(Object.keys(stack.networks));
      else if (o.profiles) {
        out = lines(stack.profiles ?? []);
      } else if (o.images) out = lines(order.map((n) => stack.services[n]!.image));
      else {
        const { stackJson } = await import('../compose/canonical.js');
        const doc = stackJson(stack, undefined, { resolveEnv: o.envResolution !== false });
        if (o.format === 'json') out = `${JSON.stringify(doc, null, 2)}\n`;
        else {
          const { stringify } = await import('yaml');
          out = stringify(doc, { lineWidth: 0 });
        }
      }
      if (typeof o.output === 'string') {
        const { writeFileSync } = await import('node:fs');
        writeFileSync(o.output, out);
      } else process.stdout.write(out);
    });
}

const lines = (xs: string[]) => (xs.length ? `${xs.join('\n')}\n` : '');
