import type { Command } from 'commander';
import { badInput } from '../errors.js';
import type { ImageEntry } from '../ops/inspect.js';
import { opContext } from './lifecycle.js';
import { table } from './top.js';
import { targetAndServices } from './verb-target.js';

/** Docker's human size: three significant digits, powers of 1000, as `docker images` prints. */
export function humanSize(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let v = bytes;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${Number(v.toPrecision(3))}${units[i]}`;
}

/** One image as `docker compose images --format json` prints it (the whole list is one JSON array). */
export function imageJson(e: ImageEntry) {
  return {
    ID: e.id,
    ContainerName: e.container,
    Repository: e.repository,
    Tag: e.tag,
    Platform: '',
    Size: e.sizeBytes,
    ...(e.created ? { Created: new Date(e.created * 1000).toISOString() } : {}),
    ...(e.lastTagTime ? { LastTagTime: e.lastTagTime.toISOString() } : {}),
  };
}

export function register(program: Command): void {
  program
    .command('images')
    .description('the images used by the created containers')
    .argument('[service...]', 'only these services')
    .option('--format <format>', 'table (default) or json')
    .option('-q, --quiet', 'only image IDs')
    .action(async (names: string[], flags: { format?: string; quiet?: boolean }, cmd: Command) => {
      const format = flags.format ?? 'table';
      if (format !== 'table' && format !== 'json')
        throw badInput(`--format ${format}: expected table or json`);
      const { target, services } = await targetAndServices(cmd, names);
      const { images } = await import('../ops/inspect.js');
      const list = await images(await opContext(), target, { services });
      if (flags.quiet) {
        const ids = [...new Set(list.map((e) => e.id.replace(/^sha256:/, '')))];
        process.stdout.write(ids.map((i) => `${i}\n`).join(''));
      } else if (format === 'json') process.stdout.write(`${JSON.stringify(list.map(imageJson))}\n`);
      else
        process.stdout.write(
          table([
            ['CONTAINER', 'REPOSITORY', 'TAG', 'IMAGE ID', 'SIZE'],
            ...list.map((e) => [
              e.container,
              e.repository || '<none>',
              e.tag || '<none>',
              e.id.replace(/^sha256:/, '').slice(0, 12),
              humanSize(e.sizeBytes),
            ]),
          ]),
        );
    });
}
