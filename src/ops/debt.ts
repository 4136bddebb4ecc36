// A restart owed is never lost. When `up` replaces a dependency, its running `depends_on: {restart: true}`
// dependents are restarted after it; an interruption in between (Ctrl-C, a crash) would leave them holding the
// old container's address while the next `up` sees nothing to do. So the debt is written down before the
// replacement and paid off only once the restarts ran: `${XDG_STATE_HOME:-~/.local/state}/berth/restart-owed/
// <project>.json`, a list of services. (A container's labels cannot change after create, so not on them.)
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { noteInput } from '../inputs/journal.js';

const dir = () =>
  join(process.env.XDG_STATE_HOME || join(homedir(), '.local', 'state'), 'berth', 'restart-owed');
const file = (project: string) => join(dir(), `${project}.json`);

export async function readOwed(project: string): Promise<string[]> {
  noteInput(file(project));
  try {
    const v = JSON.parse(await readFile(file(project), 'utf8')) as unknown;
    return Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string') : [];
  } catch {
    return [];
  }
}

export async function writeOwed(project: string, services: readonly string[]): Promise<void> {
  const f = file(project);
  if (!services.length) {
    await rm(f, { force: true });
    return;
  }
  await mkdir(dir(), { recursive: true, mode: 0o700 });
  const tmp = `${f}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify([...new Set(services)].sort())}\n`, { mode: 0o600 });
  await rename(tmp, f);
}
