// The per-stack state file, `<stack dir>/.berth/state.json`: today it only records the active client (set by
// `berth use`). It lives next to the stack file so each checkout of a stack has its own active client, and
// the folder carries its own `.gitignore` so nobody commits it by accident.
import { readFileSync } from 'node:fs';
import { noteInput } from '../inputs/journal.js';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { badInput } from '../errors.js';

export interface StackState {
  /** Client made active by `berth use`; plain verbs act on it when neither --client nor BERTH_CLIENT is set. */
  activeClient?: string;
  /** Clients `berth use A B` runs side by side, behind the client router (two or more, or none). */
  routed?: string[];
}

export const STATE_DIR = '.berth';
export const STATE_FILE = 'state.json';

export const statePath = (stackDir: string) => join(stackDir, STATE_DIR, STATE_FILE);

/**
 * Client names become part of engine object names (`<stack>-<client>`, `<stack>-<client>_default`) and of
 * file names (`clients/<name>.yaml`), so they follow the project-name rules: lowercase letters, digits,
 * `-` and `_`, starting with a letter or digit.
 */
const CLIENT_NAME = /^[a-z0-9][a-z0-9_-]*$/;

export function checkClientName(name: string, where = 'client name'): string {
  if (!CLIENT_NAME.test(name)) {
    throw badInput(`invalid ${where} ${JSON.stringify(name)}`, {
      hint: 'use lowercase letters, digits, "-" and "_", starting with a letter or digit (e.g. acme, client-2)',
    });
  }
  return name;
}

function parseState(text: string, file: string): StackState {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw badInput(`${file}: not valid JSON`, {
      hint: 'delete it (it only records the active client) and run `berth use NAME` again',
    });
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) return {};
  const { activeClient, routed } = value as Record<string, unknown>;
  const out: StackState = {};
  if (typeof activeClient === 'string' && CLIENT_NAME.test(activeClient)) out.activeClient = activeClient;
  const names = Array.isArray(routed)
    ? routed.filter((c): c is string => typeof c === 'string' && CLIENT_NAME.test(c))
    : [];
  if (names.length > 1) out.routed = names;
  return out;
}

const missing = (err: unknown) => (err as NodeJS.ErrnoException).code === 'ENOENT';

export async function readState(stackDir: string): Promise<StackState> {
  const file = statePath(stackDir);
  noteInput(file);
  try {
    return parseState(await readFile(file, 'utf8'), file);
  } catch (err) {
    if (missing(err)) return {};
    throw err;
  }
}

/** Synchronous twin of readState, for loading the stack (which is synchronous). */
export function readStateSync(stackDir: string): StackState {
  const file = statePath(stackDir);
  noteInput(file);
  try {
    return parseState(readFileSync(file, 'utf8'), file);
  } catch (err) {
    if (missing(err)) return {};
    throw err;
  }
}

export async function writeState(stackDir: string, state: StackState): Promise<void> {
  const dir = join(stackDir, STATE_DIR);
  await mkdir(dir, { recursive: true });
  // Ignore the whole folder from inside it: works in any repository without touching the user's .gitignore.
  await writeFile(join(dir, '.gitignore'), '*\n', { flag: 'w' });
  const file = statePath(stackDir);
  // Write then rename, so a crash or a concurrent reader never sees half a file.
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(state, null, 2)}\n`);
  await rename(tmp, file);
}

/** The client recorded by `berth use` for the stack in `stackDir`, if any. */
export async function readActiveClient(stackDir: string): Promise<string | undefined> {
  return (await readState(stackDir)).activeClient;
}

/**
 * Records the active client and the clients running side by side with it (`use A B`: A is active, both are
 * routed; `use A`: none is). Forgetting the active client (`use --clear`) leaves the routed set as it runs.
 */
export async function writeActiveClient(
  stackDir: string,
  client: string | undefined,
  routed?: readonly string[],
): Promise<void> {
  const state = await readState(stackDir);
  if (client === undefined) delete state.activeClient;
  else state.activeClient = checkClientName(client);
  if (routed !== undefined) {
    if (routed.length > 1) state.routed = routed.map((c) => checkClientName(c));
    else delete state.routed;
  }
  await writeState(stackDir, state);
}
