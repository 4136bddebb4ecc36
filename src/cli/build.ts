import type { Command } from 'commander';
import { BerthError, BerthErrors, badInput } from '../errors.js';
import type { Service } from '../model/stack.js';
import { loadStackFor, selectServices } from './lifecycle.js';

interface BuildFlags {
  cache: boolean;
  pull?: boolean;
  quiet?: boolean;
  parallel?: string;
}

export function register(program: Command): void {
  program
    .command('build')
    .description('build the images of services that have a `build:` section, in parallel')
    .argument('[service...]', 'only these services')
    .option('--no-cache', 'do not use the build cache')
    .option('--pull', 'ask the engine to pull newer versions of the base images (never done otherwise)')
    .option('-q, --quiet', 'print only errors and the built image IDs')
    .option('--parallel <n>', 'builds at once (default 2: a build is CPU-bound)', '2')
    .action(async (names: string[], flags: BuildFlags, cmd: Command) => {
      const parallel = Number(flags.parallel);
      if (!Number.isInteger(parallel) || parallel < 1)
        throw badInput(`--parallel ${flags.parallel}: expected a number ≥ 1`);
      const stack = await loadStackFor(cmd);
      const selected = (await selectServices(stack, names, false)) ?? Object.keys(stack.services);
      const buildable: Service[] = [];
      for (const name of selected) {
        const s = stack.services[name]!;
        if (s.build) buildable.push(s);
        else if (names.length)
          process.stderr.write(`berth: ${name} has no build section (image ${s.image}); skipped\n`);
      }
      if (buildable.length === 0) {
        process.stderr.write('berth: no service to build\n');
        return;
      }
      const [{ opContext }, { eachService, throwFailures }, { buildRefusal, withBuildDependencies }] =
        await Promise.all([
          import('./lifecycle.js'),
          import('../ops/each.js'),
          import('../images/ensure.js'),
        ]);
      // as Compose: the services a build's `service:NAME` contexts name are built too, and first
      const ordered = withBuildDependencies(buildable, stack.services).filter((s) => s.build);
      buildable.splice(0, buildable.length, ...ordered);
      const built = new Map<string, { done: Promise<boolean>; settle: (ok: boolean) => void }>();
      for (const s of buildable) {
        let settle!: (ok: boolean) => void;
        const done = new Promise<boolean>((r) => {
          settle = r;
        });
        built.set(s.name, { done, settle });
      }
      const { engine } = await opContext();
      // every build the engine's builder cannot honour is named before any build starts
      const builder = await engine.builder();
      const errs = buildable.flatMap((s) => buildRefusal(s, builder) ?? []);
      if (errs.length > 0) throw errs.length === 1 ? errs[0]! : new BerthErrors(errs);
      const width = Math.max(...buildable.map((s) => s.name.length));
      const prefix = (name: string) => `${name.padEnd(width)} | `;
      const failures = await eachService(
        buildable,
        parallel,
        async (s, signal) => {
          // in this order a build only waits for builds that have started before it
          for (const dep of s.build?.after ?? []) {
            if (!(await (built.get(dep)?.done ?? true)))
              throw new BerthError(
                `service "${s.name}" was not built: the build of service "${dep}", which it builds from, failed`,
              );
          }
          const t0 = Date.now();
          const id = await engine.buildImage(s, {
            stack: stack.name,
            noCache: flags.cache === false,
            pull: flags.pull === true,
            signal,
            onLine: flags.quiet ? undefined : (line) => process.stdout.write(`${prefix(s.name)}${line}\n`),
          });
          const secs = ((Date.now() - t0) / 1000).toFixed(1);
          if (flags.quiet) process.stdout.write(`${id}\n`);
          else process.stdout.write(`${prefix(s.name)}built ${s.image} (${id.slice(7, 19)}) in ${secs}s\n`);
          built.get(s.name)?.settle(true);
        },
        (s, err) => {
          built.get(s.name)?.settle(false);
          return err instanceof BerthError
            ? err
            : new BerthError(`build of service "${s.name}" failed: ${(err as Error).message}`);
        },
      );
      throwFailures(failures);
    });
}
