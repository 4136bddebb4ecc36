import type { Command } from 'commander';
import { BerthError } from '../errors.js';
import type { Service } from '../model/stack.js';
import { loadStackFor, selectServices } from './lifecycle.js';

interface PullFlags {
  ignorePullFailures?: boolean;
  quiet?: boolean;
}

/** Services `pull` fetches: those that use an image rather than build it, unless their policy forbids pulling. */
export function pullable(s: Service): { pull: boolean; why?: string } {
  if (s.pull_policy === 'never') return { pull: false, why: 'pull_policy is never' };
  if (s.build && s.pull_policy !== 'always') return { pull: false, why: 'it is built (`berth build`)' };
  return { pull: true };
}

export function register(program: Command): void {
  program
    .command('pull')
    .description('pull the images of services that use an image (not a build), in parallel')
    .argument('[service...]', 'only these services')
    .option('--ignore-pull-failures', 'report images that could not be pulled, and carry on')
    .option('-q, --quiet', 'no progress output')
    .action(async (names: string[], flags: PullFlags, cmd: Command) => {
      const stack = await loadStackFor(cmd);
      const selected = (await selectServices(stack, names, false)) ?? Object.keys(stack.services);
      // one pull per image, for the first service that uses it
      const byImage = new Map<string, Service>();
      for (const name of selected) {
        const s = stack.services[name]!;
        const verdict = pullable(s);
        if (!verdict.pull) {
          if (names.length) process.stderr.write(`berth: ${name} skipped: ${verdict.why}\n`);
          continue;
        }
        if (!byImage.has(s.image)) byImage.set(s.image, s);
      }
      if (byImage.size === 0) return;
      const [{ opContext }, { PullTracker, LiveBlock }, { eachService, throwFailures }] = await Promise.all([
        import('./lifecycle.js'),
        import('./pull-progress.js'),
        import('../ops/each.js'),
      ]);
      const { engine } = await opContext();
      const services = [...byImage.values()];
      const width = Math.max(...services.map((s) => s.name.length));
      const prefix = (name: string) => `${name.padEnd(width)} | `;
      const live =
        !flags.quiet && process.stdout.isTTY === true
          ? new LiveBlock((s) => process.stdout.write(s))
          : undefined;
      const plain = (name: string, line: string) => {
        if (!flags.quiet && !live) process.stdout.write(`${prefix(name)}${line}\n`);
      };
      let failures: BerthError[];
      try {
        failures = await eachService(
          services,
          4,
          async (s, signal) => {
            const tracker = new PullTracker();
            plain(s.name, `pulling ${s.image}`);
            live?.set(s.name, `${prefix(s.name)}pulling ${s.image}`);
            const id = await engine.pullImage(s.image, {
              service: s.name,
              signal,
              onEvent: (e) => {
                const line = tracker.apply(e);
                if (line) plain(s.name, line);
                live?.set(s.name, `${prefix(s.name)}${tracker.summary()}`);
              },
            });
            plain(s.name, `pulled ${s.image} (${id.slice(7, 19)})`);
            live?.set(s.name, `${prefix(s.name)}pulled ${s.image} (${id.slice(7, 19)})`);
          },
          (s, err) => {
            live?.set(s.name, `${prefix(s.name)}failed`);
            return err instanceof BerthError ? err : new BerthError(String((err as Error).message));
          },
        );
      } finally {
        live?.close();
      }
      if (flags.ignorePullFailures) {
        for (const f of failures) process.stderr.write(`berth: warning: ${f.message}\n`);
        return;
      }
      throwFailures(failures);
    });
}
