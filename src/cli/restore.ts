import type { Command } from 'commander';
import { ExitCode } from '../errors.js';

export function register(program: Command): void {
  program
    .command('restore')
    .description("put a data snapshot (`berth snapshot --data`) back into the client's volumes")
    .argument('<tag>', 'the data snapshot (`berth snapshot --data --list`)')
    .addHelpText(
      'after',
      '\nThe services using those volumes are stopped, the volumes get the snapshot’s files, and the services\n' +
        'start again (health waited for). After `down -v` the volumes are created; `berth up` then starts from them.',
    )
    .action(async (tag: string, _opts: unknown, cmd: Command) => {
      const { checkTag } = await import('../stacks/snapshots.js');
      checkTag(tag);
      const [{ loadFromCli }, { opContext, progressPrinter, interruptOnSigint }, { restoreData }] =
        await Promise.all([import('./load.js'), import('./lifecycle.js'), import('../ops/data-snapshot.js')]);
      const stack = await loadFromCli(cmd);
      const sigint = interruptOnSigint();
      let r: Awaited<ReturnType<typeof restoreData>>;
      try {
        r = await restoreData(await opContext(await progressPrinter(cmd), sigint.signal), stack, tag);
      } finally {
        sigint.dispose();
      }
      const secs = (r.ms / 1000).toFixed(1);
      if (r.failed) {
        process.stderr.write(
          `berth: data snapshot ${tag} restored into ${stack.project}, but ${r.failed.join(', ')} failed to start; see above\n`,
        );
        process.exitCode = ExitCode.StackFailure;
        return;
      }
      process.stderr.write(
        `data snapshot ${tag} restored into ${stack.project} in ${secs}s` +
          (r.restarted.length
            ? ` (${r.restarted.join(', ')} stopped for it and healthy again)\n`
            : `; \`berth up\` starts the client from it\n`),
      );
    });
}
