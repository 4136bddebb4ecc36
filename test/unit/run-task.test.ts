// The helper containers of data snapshots (runTask) on an engine that, like Podman 4.3, fails an inspect of a
// container whose process is exiting with HTTP 500 "read /proc/PID/cgroup: no such process". The container
// here is a small state machine: created, running for a few inspects, then exited; `racy` inspects in the
// middle fail the way Podman's do.
import { expect, test } from 'vitest';
import type { DockerApi } from '../../src/engine/docker-api.js';
import { DockerEngine } from '../../src/engine/docker-engine.js';
import { EngineError, engineErrorOfStatus } from '../../src/engine/errors.js';

function engineWith(opts: { runningFor: number; racy: number; exitCode: number }) {
  const state = { created: false, started: false, removed: false, inspects: 0, racyLeft: opts.racy };
  const container = {
    id: 'c1',
    start: async () => {
      state.started = true;
    },
    remove: async () => {
      state.removed = true;
    },
    kill: async () => {},
    inspect: async () => {
      if (!state.started) throw engineErrorOfStatus(404, 'no such container');
      state.inspects++;
      const running = state.inspects <= opts.runningFor;
      if (!running && state.racyLeft > 0) {
        state.racyLeft--;
        throw engineErrorOfStatus(500, 'read /proc/29297/cgroup: no such process');
      }
      return { State: { Running: running, ExitCode: running ? 0 : opts.exitCode } };
    },
  };
  const api = {
    endpoint: 'unix:///fake.sock',
    createContainer: async () => {
      state.created = true;
      return { id: 'c1' };
    },
    getContainer: () => container,
  } as unknown as DockerApi;
  const engine = new DockerEngine(api, async () => {
    throw new Error('dockerode is not needed here');
  });
  // the logs of a finished helper are not what these tests are about
  engine.tailLogs = async () => ['done'];
  return { engine, state };
}

const task = { image: 'berth/busybox:latest', cmd: ['true'], mounts: [], labels: {} };

test('an inspect failing while the helper exits is asked again: the exit code comes through', async () => {
  const { engine, state } = engineWith({ runningFor: 2, racy: 3, exitCode: 0 });
  await expect(engine.runTask(task)).resolves.toEqual({ exitCode: 0, output: ['done'] });
  expect(state.removed).toBe(true);
  const failing = engineWith({ runningFor: 1, racy: 2, exitCode: 7 });
  expect((await failing.engine.runTask(task)).exitCode).toBe(7);
});

test('an engine that keeps failing the inspect is an error, and the helper is still removed', async () => {
  const { engine, state } = engineWith({ runningFor: 1, racy: 100, exitCode: 0 });
  const err = await engine.runTask(task).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(EngineError);
  expect((err as EngineError).engineMessage).toMatch(/no such process/);
  expect(state.removed).toBe(true);
});
