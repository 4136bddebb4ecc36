import { dirname } from 'node:path';
import { readActiveClient } from './state.js';

/**
 * The active client of each stack file's directory (for `berth ls`, which runs from anywhere). A state file
 * that cannot be read (moved checkout, no permission, hand-edited) just means "no active client" here: a
 * listing should never fail because of one stack's folder.
 */
export async function activeClientsOf(files: Iterable<string>): Promise<Map<string, string | undefined>> {
  const unique = [...new Set(files)];
  const entries = await Promise.all(
    unique.map(
      async (file) =>
        [file, await readActiveClient(dirname(file)).catch(() => undefined)] as [string, string | undefined],
    ),
  );
  return new Map(entries);
}
