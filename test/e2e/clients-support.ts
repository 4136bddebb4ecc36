// Support for the client e2e tests (use, ls, isolation, snapshot, demo clients): run the built CLI as a user
// would, copy a fixture stack to a temporary folder under a unique stack name, and clean up after it.
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { cleanupProject, docker, uniqueProject } from './helpers.js';
import { freePort } from './up-cli.js';

export const ROOT = path.resolve(import.meta.dirname, '../..');
const BIN = path.join(ROOT, 'bin/berth.js');

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

/** `berth ARGS` in `cwd`; the environment is the test's minus any BERTH_CLIENT, plus `env`. */
export function berth(
  args: string[],
  cwd: string,
  env: Record<string, string | undefined> = {},
): Promise<Run> {
  const t0 = Date.now();
  const fullEnv: Record<string, string | undefined> = {
    ...process.env,
    NO_COLOR: '1',
    BERTH_CLIENT: undefined,
    ...env,
  };
  for (const k of Object.keys(fullEnv)) if (fullEnv[k] === undefined) delete fullEnv[k];
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { cwd, env: fullEnv as NodeJS.ProcessEnv, maxBuffer: 16 * 1024 * 1024, timeout: 170_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout, stderr, ms: Date.now() - t0 });
      },
    );
  });
}

/** Like berth(), but the command must succeed; its output is in the failure message otherwise. */
export async function berthOk(args: string[], cwd: string, env: Record<string, string | undefined> = {}) {
  const r = await berth(args, cwd, env);
  if (r.code !== 0)
    throw new Error(
      `berth ${args.join(' ')} exited ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`,
    );
  return r;
}

export { freePort } from './up-cli.js';

export interface StackCopy {
  dir: string;
  /** Unique stack name written into the copy's `name:`; projects are `<name>-<client>`. */
  name: string;
  project: (client?: string) => string;
  /** Remove every project of this stack (containers, networks, volumes) and the folder. */
  cleanup: (extraProjects?: string[]) => Promise<void>;
}

/** Copy fixtures/<rel> to a temporary folder and give it a unique stack name, so tests never share projects. */
export function copyStack(rel: string, prefix: string): StackCopy {
  const dir = mkdtempSync(path.join(tmpdir(), `berth-${prefix}-`));
  // Leave out a state folder someone's `berth use` may have left in the fixture: each copy starts clean.
  cpSync(path.join(ROOT, 'fixtures', rel), dir, {
    recursive: true,
    filter: (src) => path.basename(src) !== '.berth',
  });
  const name = uniqueProject(prefix);
  const file = path.join(dir, 'berth.yaml');
  const text = readFileSync(file, 'utf8');
  if (!/^name: .*$/m.test(text)) throw new Error(`${rel}/berth.yaml has no name: line`);
  writeFileSync(file, text.replace(/^name: .*$/m, `name: ${name}`));
  const project = (client?: string) => (client ? `${name}-${client}` : name);
  return {
    dir,
    name,
    project,
    cleanup: async (extra = []) => {
      const filters = JSON.stringify({ label: [`dev.berth.stack=${name}`] });
      const projects = new Set(extra);
      for (const c of await docker.listContainers({ all: true, filters }))
        projects.add(c.Labels['dev.berth.project'] ?? '');
      for (const n of await docker.listNetworks({ filters }))
        projects.add(n.Labels?.['dev.berth.project'] ?? '');
      for (const v of (await docker.listVolumes({ filters })).Volumes ?? [])
        projects.add((v.Labels as Record<string, string> | null)?.['dev.berth.project'] ?? '');
      // networks and volumes may carry only the project label: match them by the (unique) stack name
      const anyBerth = JSON.stringify({ label: ['dev.berth.project'] });
      for (const n of await docker.listNetworks({ filters: anyBerth }))
        projects.add(n.Labels?.['dev.berth.project'] ?? '');
      for (const v of (await docker.listVolumes({ filters: anyBerth })).Volumes ?? [])
        projects.add((v.Labels as Record<string, string> | null)?.['dev.berth.project'] ?? '');
      for (const p of [...projects]) if (p !== name && !p.startsWith(`${name}-`)) projects.delete(p);
      for (const p of extra) projects.add(p);
      for (const p of projects) await cleanupProject(p);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Write a file into the stack copy (a client overlay, an env file). */
export function writeInto(copy: StackCopy, rel: string, text: string): void {
  writeFileSync(path.join(copy.dir, rel), text);
}

/** Give the stack copy a free host port through its `.env` (every client of the stack publishes it). */
export async function portInto(copy: StackCopy, variable: string): Promise<number> {
  const port = await freePort();
  writeInto(copy, '.env', `${variable}=${port}\n`);
  return port;
}

/** IDs and states of a project's containers, by container name. */
export async function containersOf(project: string): Promise<Map<string, { id: string; state: string }>> {
  const list = await docker.listContainers({
    all: true,
    filters: JSON.stringify({ label: [`dev.berth.project=${project}`] }),
  });
  return new Map(list.map((c) => [c.Names[0]!.replace(/^\//, ''), { id: c.Id, state: c.State }]));
}

/**
 * GET a URL on the loopback, retrying while the service comes up. `attemptMs` bounds one request: a request
 * that counts something (the demo's /api/visit) needs one longer than the stack's own proxy timeouts, or a
 * slow answer is abandoned while the server still counts it, and the retry counts again (clients-demo at
 * load 25: one visit counted twice after a restore).
 */
export async function httpGet(url: string, timeoutMs = 20_000, attemptMs = 3000): Promise<string> {
  const t0 = Date.now();
  let last: unknown;
  while (Date.now() - t0 < timeoutMs) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(attemptMs) });
      const text = await res.text();
      if (res.ok) return text;
      last = new Error(`${res.status} ${text}`);
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`GET ${url} did not answer: ${String(last)}`);
}
