import type { Command } from 'commander';
import { opContext } from './lifecycle.js';
import { parseIndex, targetAndServices } from './verb-target.js';

export function register(program: Command): void {
  program
    .command('cp')
    .description(
      'copy files between a service container and the host (SERVICE:PATH on one side; - is a tar on stdin/stdout)',
    )
    .argument('<src>', 'SERVICE:SRC_PATH, or a host path')
    .argument('<dest>', 'a host path, or SERVICE:DEST_PATH')
    .option('--index <n>', 'replica number, if the service has several')
    .action(async (src: string, dest: string, flags: { index?: string }, cmd: Command) => {
      const { cp, parseCpArg } = await import('../ops/cp.js');
      const from = parseCpArg(src);
      const to = parseCpArg(dest);
      const service = 'service' in from ? from.service : 'service' in to ? to.service : undefined;
      const { target } = await targetAndServices(cmd, service ? [service] : []);
      const r = await cp(await opContext(), target, { src: from, dest: to, index: parseIndex(flags.index) });
      if (r.landed !== '-') process.stderr.write(` Container ${r.container}  Copied ${src} to ${r.landed}\n`);
    });
}
