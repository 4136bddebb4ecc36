import { delimiter, dirname, resolve } from 'node:path';
import { discoverFiles } from '../compose/files.js';
import { readActiveClient, readStateSync } from './state.js';

/** The stack file may be in a parent directory (as Compose finds it); its directory holds the state. */
function discoveredDir(dir: string): string {
  try {
    return dirname(discoverFiles(dir)[0]!);
  } catch {
    return dir;
  }
}

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

/**
 * The active client for a command line without --client or BERTH_CLIENT: the one `berth use` recorded next to
 * the stack's first file (`-f`, COMPOSE_FILE, or the default file in --project-directory or the current
 * directory, or the nearest parent that has one). Not consulted when `-p` names the project: an explicit
 * project name means exactly that project.
 */
export function activeClientFor(
  g: { file: string[]; projectDirectory?: string; projectName?: string },
  cwd: string,
  env: Record<string, string | undefined>,
): string | undefined {
  if (g.projectName) return undefined;
  const fromEnv = env.COMPOSE_FILE?.split(env.COMPOSE_PATH_SEPARATOR ?? delimiter).filter(Boolean) ?? [];
  const first = g.file[0] ?? fromEnv[0];
  const stackDir = first
    ? dirname(resolve(cwd, first))
    : discoveredDir(resolve(cwd, g.projectDirectory ?? '.'));
  return readStateSync(stackDir).activeClient;
}

/**
 * Which client a command acts on, in order: an explicit choice (`use NAME`; '' for none), `--client`,
 * `BERTH_CLIENT`, then the active client `berth use` recorded (not with `-p`: an explicit project name means
 * exactly that project). One rule, used by every verb (src/cli/load.ts). A name is checked where it is used.
 */
export function resolveClient(
  explicit: string | undefined,
  g: { client?: string; file: string[]; projectDirectory?: string; projectName?: string },
  cwd: string,
  env: Record<string, string | undefined>,
): string | undefined {
  return explicit ?? g.client ?? (env.BERTH_CLIENT || activeClientFor(g, cwd, env));
}
