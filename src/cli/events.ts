import type { Command } from 'commander';
import { interruptOnSigint, opContext } from './lifecycle.js';
import { targetAndServices } from './verb-target.js';

export function register(program: Command): void {
  program
    .command('events')
    .description('stream the containers’ events as they happen (until Ctrl-C)')
    .argument('[service...]', 'only these services')
    .option('--json', 'one JSON object per line, as docker compose events --json')
    .action(async (names: string[], flags: { json?: boolean }, cmd: Command) => {
      const { target, services } = await targetAndServices(cmd, names);
      const { events } = await import('../ops/events.js');
      const sigint = interruptOnSigint();
      try {
        await events(await opContext(undefined, sigint.signal), target, {
          services,
          onEvent: (e) => {
            if (flags.json) return void process.stdout.write(`${JSON.stringify(e)}\n`);
            const attrs = Object.entries(e.attributes)
              .filter(([k]) => k === 'name' || k === 'image')
              .map(([k, v]) => `${k}=${v}`)
              .join(', ');
            process.stdout.write(`${e.time} container ${e.action} ${e.id} (${attrs})\n`);
          },
        });
      } finally {
        sigint.dispose();
      }
    });
}
