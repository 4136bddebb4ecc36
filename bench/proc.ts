import { spawn } from 'node:child_process';

export interface Timed {
  ms: number;
  code: number | null;
  output: string;
}

/** Run a command and time it from spawn to exit: what a user waits for, process start-up included. */
export function timed(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<Timed> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
    let output = '';
    const keep = (b: Buffer) => {
      // Only the tail matters (for error messages); cap it so a chatty tool can't grow memory.
      output = (output + b.toString()).slice(-4000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('error', (err) => resolve({ ms: performance.now() - t0, code: -1, output: String(err) }));
    child.on('close', (code) => resolve({ ms: performance.now() - t0, code, output }));
  });
}

export const lastLines = (s: string, n = 3) => s.trim().split('\n').slice(-n).join(' | ');
