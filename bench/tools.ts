// The tools compared, each as the commands a user (or script) would run, one process per step.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { FLOOR_PROJECT, FLOOR_SERVICE } from './floor.js';
import { type Timed, timed } from './proc.js';
import type { ProjectLabels } from './state.js';

export type ToolName = 'floor' | 'berth' | 'baseline' | 'compose' | 'dcompose';
export const TOOL_TITLES: Record<ToolName, string> = {
  floor: 'floor (dockerode)',
  berth: 'berth',
  baseline: `berth baseline (${process.env.BENCH_BASELINE ?? 'BENCH_BASELINE unset'})`,
  compose: 'docker-compose 1.29',
  dcompose: 'dockerode-compose',
};

/**
 * Files a tool reads for one project: the Compose file and the floor's JSON. `edit()` rewrites both in place
 * with one service changed, as a user edits their stack file (same path: the path itself must not matter).
 */
export interface StepFiles {
  compose: string;
  floor: string;
  edit(): void;
}

export interface Tool {
  name: ToolName;
  labels: ProjectLabels;
  up(project: string, f: StepFiles): Promise<Timed>;
  down(project: string, f: StepFiles): Promise<Timed>;
  /** Why the tool cannot run no-op `up` / recreate at all, if it cannot. */
  noSecondUp?: string;
}

export function makeTools(root: string, outDir: string): Record<ToolName, Tool> {
  const node = process.execPath;
  const berthBin = join(root, 'bin/berth.js');
  const composeLabels = { project: 'com.docker.compose.project', service: 'com.docker.compose.service' };
  const berthTool = (name: 'berth' | 'baseline', bin: string): Tool => ({
    name,
    labels: { project: 'dev.berth.project', service: 'dev.berth.service' },
    up: (p, f) => timed(node, [bin, '-f', f.compose, '-p', p, 'up', '-d'], { ...process.env, NO_COLOR: '1' }),
    down: (p, f) =>
      timed(node, [bin, '-f', f.compose, '-p', p, 'down', '-v'], { ...process.env, NO_COLOR: '1' }),
  });
  return {
    floor: {
      name: 'floor',
      labels: { project: FLOOR_PROJECT, service: FLOOR_SERVICE },
      up: (_p, f) => timed(node, [join(outDir, 'floor.mjs'), 'up', f.floor]),
      down: (_p, f) => timed(node, [join(outDir, 'floor.mjs'), 'down', f.floor]),
    },
    berth: berthTool('berth', berthBin),
    // Another checkout of berth (built), e.g. the commit before a refactor: compared in the same run.
    baseline: berthTool('baseline', join(process.env.BENCH_BASELINE ?? '/nonexistent', 'bin/berth.js')),
    compose: {
      name: 'compose',
      labels: composeLabels,
      up: (p, f) =>
        timed('docker-compose', ['-f', f.compose, '-p', p, 'up', '-d'], {
          ...process.env,
          COMPOSE_INTERACTIVE_NO_CLI: '1',
        }),
      down: (p, f) => timed('docker-compose', ['-f', f.compose, '-p', p, 'down', '-v']),
    },
    dcompose: {
      name: 'dcompose',
      labels: composeLabels,
      up: (p, f) => timed(node, [join(outDir, 'dcompose.mjs'), 'up', f.compose, p]),
      down: (p, f) => timed(node, [join(outDir, 'dcompose.mjs'), 'down', f.compose, p]),
    },
  };
}

/** Whether berth's CLI has the verbs the bench drives (they land while the bench is being built). */
export async function berthVerbs(root: string): Promise<{ up: boolean; down: boolean; config: boolean }> {
  const bin = join(root, 'bin/berth.js');
  if (!existsSync(join(root, 'dist/cli/main.mjs'))) return { up: false, down: false, config: false };
  const has = async (verb: string) => (await timed(process.execPath, [bin, verb, '--help'])).code === 0;
  const [up, down, config] = await Promise.all([has('up'), has('down'), has('config')]);
  return { up, down, config };
}
