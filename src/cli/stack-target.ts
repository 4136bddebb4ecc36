import type { Command } from 'commander';
import { globalsOf } from './globals.js';

/** The project a logs/ui verb reads, and the stack's services when there is a stack file to read. */
export interface StackTarget {
  project: string;
  stackName?: string;
  client?: string;
  /** Services of the stack file, in file order, with their wanted replicas; undefined without a file. */
  services?: Array<{ name: string; replicas: number; image: string }>;
  files: string[];
}

/**
 * Like Compose, `logs` and `ui` work from labels alone: with `-p NAME` they need no stack file. With a stack
 * file they also know the services that have no container yet, and their wanted replica counts.
 */
export async function stackTarget(cmd: Command): Promise<StackTarget> {
  const g = globalsOf(cmd);
  try {
    // Loaded lazily so the verb starts fast; src/cli/load.ts is the one way to read the stack. A literal path:
    // the build bundles what it can see, and an import by a variable name is not there at run time.
    const { loadFromCli } = await import('./load.js');
    const stack = await loadFromCli(cmd);
    return {
      project: g.projectName ?? stack.project,
      stackName: stack.name,
      client: stack.client,
      services: Object.values(stack.services).map((s) => ({
        name: s.name,
        replicas: s.replicas,
        image: s.image,
      })),
      files: stack.files,
    };
  } catch (err) {
    if (g.projectName && g.file.length === 0) return { project: g.projectName, files: [] };
    throw err;
  }
}
