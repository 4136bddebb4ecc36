import type { Command } from 'commander';
import { badInput } from '../errors.js';
import { VERSION } from '../version.js';

export function register(program: Command): void {
  program
    .command('version')
    .description('berth’s version')
    .option('-f, --format <format>', 'pretty (default) or json')
    .option('--short', 'only the version number')
    .action((flags: { format?: string; short?: boolean }) => {
      const format = flags.format ?? 'pretty';
      if (format !== 'pretty' && format !== 'json')
        throw badInput(`--format ${format}: expected pretty or json`);
      // Compose's shapes: `Docker Compose version v2.x`, `2.x`, `{"version":"v2.x"}`
      if (flags.short) process.stdout.write(`${VERSION}\n`);
      else if (format === 'json') process.stdout.write(`${JSON.stringify({ version: `v${VERSION}` })}\n`);
      else process.stdout.write(`berth version v${VERSION}\n`);
    });
}
