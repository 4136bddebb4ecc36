// Shared by the container verbs (kill, pause, top, port, images, cp, events, wait): the target and service
// selection, from a stack file or from `-p NAME` alone, as Compose allows.
import type { Command } from 'commander';
import { badInput } from '../errors.js';
import type { Target } from '../ops/select.js';
import { loadStackOrProject, selectServices } from './lifecycle.js';

export async function targetAndServices(
  cmd: Command,
  names: string[],
): Promise<{ target: Target; services?: string[] }> {
  const target = await loadStackOrProject(cmd);
  const services = target.stack
    ? selectServices(target.stack, names, false)
    : names.length
      ? names
      : undefined;
  return { target, services };
}

/** `--index N`: a replica number, 1 or more. */
export function parseIndex(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw badInput(`--index ${v}: expected a replica number (1, 2, …)`);
  return n === 0 ? undefined : n;
}

/** Print per-container failures on stderr; exit 1 when there were any. */
export function reportErrors(errors: string[]): void {
  for (const e of errors) process.stderr.write(`berth: ${e}\n`);
  if (errors.length) process.exitCode = 1;
}
