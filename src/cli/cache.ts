// `berth cache`: where the parse cache (and the memos of src/memo) is and what it holds; `berth cache clear` empties it (for instance
// after a stack file held a secret that should not linger on disk). No engine needed.
import type { Command } from 'commander';

const size = (n: number) =>
  n < 1024
    ? `${n} B`
    : n < 1024 * 1024
      ? `${(n / 1024).toFixed(1)} KiB`
      : `${(n / 1024 / 1024).toFixed(1)} MiB`;

export function register(program: Command): void {
  const cache = program
    .command('cache')
    .description(
      'show the cache (parsed stack files and memos of answers, kept 30 days, at most 50 MiB); `cache clear` empties it',
    )
    .action(async () => {
      const { cacheInfo, MAX_TOTAL_BYTES } = await import('../compose/parse-cache.js');
      const info = cacheInfo();
      const lines = [
        `folder:  ${info.dir}${info.enabled ? '' : ' (off: BERTH_NO_CACHE is set)'}`,
        `entries: ${info.entries}${info.stale ? ` (+${info.stale} of an older berth, removed at the next prune)` : ''}`,
        `memos:   ${info.memos} (answers of \`config -q\` and no-op \`up -d\` calls, checked before use)`,
        `size:    ${size(info.bytes)} of at most ${size(MAX_TOTAL_BYTES)}`,
      ];
      if (info.oldest) lines.push(`oldest:  ${info.oldest.toISOString()}`);
      process.stdout.write(`${lines.join('\n')}\n`);
    });
  cache
    .command('clear')
    .description('remove every parsed file and memo berth cached (they are made again when next needed)')
    .action(async () => {
      const { cachePath, clearCache } = await import('../compose/parse-cache.js');
      const { files, bytes } = clearCache();
      process.stdout.write(
        `removed ${files} cache ${files === 1 ? 'entry' : 'entries'} (${size(bytes)}) from ${cachePath()}\n`,
      );
    });
}
