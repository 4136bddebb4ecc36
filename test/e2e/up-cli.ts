// Running the built CLI as a child process, as a user would, for the lifecycle verbs' e2e tests.
import { type ChildProcess, spawn } from 'node:child_process';
import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { docker } from './helpers.js';

export const ROOT = path.resolve(import.meta.dirname, '../..');
export const BIN = path.join(ROOT, 'bin/berth.js');

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

export function spawnBerth(args: string[], env: Record<string, string> = {}, cwd = ROOT): ChildProcess {
  return spawn(process.execPath, [BIN, ...args], {
    cwd,
    env: { ...process.env, NO_COLOR: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

export function collect(child: ChildProcess): Promise<Run> {
  const t0 = Date.now();
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d) => {
    stdout += d;
  });
  child.stderr?.on('data', (d) => {
    stderr += d;
  });
  return new Promise((resolve) =>
    child.on('close', (code) => resolve({ code, stdout, stderr, ms: Date.now() - t0 })),
  );
}

/**
 * A run of berth to its end. A run still going after `watchdogMs` (as clients-support's 170 s) is interrupted,
 * then killed, and returns what it printed so far: a berth that hangs fails its test with its output, where
 * the test's own timeout (180 s) would say only "timed out" (up.test at load 16, 2026-11-30).
 */
export async function berth(
  args: string[],
  env: Record<string, string> = {},
  cwd = ROOT,
  watchdogMs = 170_000,
): Promise<Run> {
  const child = spawnBerth(args, env, cwd);
  let fired = false;
  const dog = setTimeout(() => {
    fired = true;
    child.kill('SIGINT');
    setTimeout(() => child.kill('SIGKILL'), 5_000).unref();
  }, watchdogMs);
  const run = await collect(child);
  clearTimeout(dog);
  if (!fired) return run;
  const note = `[test watchdog: \`berth ${args.join(' ')}\` still ran after ${watchdogMs / 1000} s; interrupted]`;
  return { ...run, code: run.code === 0 ? -1 : run.code, stderr: `${run.stderr}\n${note}` };
}

/** `berth -p <project> -f <file> ...` */
export const stackCli = (project: string, file: string, env: Record<string, string> = {}) => ({
  run: (...args: string[]) => berth(['-p', project, '-f', file, ...args], env),
  spawn: (...args: string[]) => spawnBerth(['-p', project, '-f', file, ...args], env),
});

export const fixture = (name: string) => path.join(ROOT, 'fixtures/e2e', name, 'berth.yaml');

/** A private copy of a fixture folder, for tests that edit files. */
export function copyFixture(dir: string): string {
  const dest = mkdtempSync(path.join(tmpdir(), 'berth-e2e-'));
  cpSync(dir, dest, { recursive: true });
  return dest;
}

/** A compose file with this text in a fresh temporary folder (the caller removes the folder). */
export function tempCompose(prefix: string, text: string): { dir: string; file: string } {
  const dir = mkdtempSync(path.join(tmpdir(), `berth-${prefix}-`));
  const file = path.join(dir, 'compose.yaml');
  writeFileSync(file, text);
  return { dir, file };
}

/** A TCP port free on 127.0.0.1 right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

export interface Row {
  ID: string;
  Name: string;
  Service: string;
  State: string;
  Health: string;
  Publishers: Array<{ URL: string; PublishedPort: number; TargetPort: number }>;
}

/** Containers of a project straight from the engine (by label), name → id/state. */
export async function engineContainers(project: string) {
  const list = await docker.listContainers({
    all: true,
    filters: JSON.stringify({ label: [`dev.berth.project=${project}`] }),
  });
  return list
    .map((c) => ({ id: c.Id, name: c.Names[0]!.slice(1), state: c.State, labels: c.Labels }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

export const parseJsonLines = (s: string): Row[] =>
  s
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Row);

/** The run succeeded; on failure the message shows what the CLI printed. */
export function ok(run: Run): Run {
  if (run.code !== 0)
    throw new Error(`berth exited ${run.code}\n--- stdout\n${run.stdout}\n--- stderr\n${run.stderr}`);
  return run;
}
