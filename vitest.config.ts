import { tmpdir } from 'node:os';
import path from 'node:path';
import { defineConfig } from 'vitest/config';

// The parse cache of the CLIs and loaders under test goes to a scratch folder, not the user's ~/.cache:
// property tests alone parse thousands of generated files that nobody will read again.
process.env.BERTH_CACHE_DIR ??= path.join(tmpdir(), 'berth-test-parse-cache');

// The long suite (`npm run test:long`, also in .ci/run after `npm test`), in two groups.
// `long`, two files at a time like e2e: stories too long for `npm test`'s few minutes. clients-demo runs two
// demo clients through switching, data snapshots and the router; compat brings up 18 Compose files written by
// others, five at a time; logs-load floods the log feed from ten writers; sigint interrupts a ten-service
// `up` and a recreate on the engine and brings them back (the executor's every interrupt point is unit-tested
// on the fake engine in `npm test`); isolation runs two clients and a second stack side by side; buildkit
// builds through BuildKit sessions (secrets, SSH agents and key files, named contexts on both builders: the
// `build` verb itself is build.test in `npm test`).
// `alone`, one file at a time after them: files that hold something of the whole engine. demo runs the demo
// through eight stories on one bring-up and rebuilds berth/demo-app, the tag clients-demo's copy also builds
// (BuildKit gives a build from another folder another image id: beside it, clients-demo saw "image changed"
// recreates on a switch back, clean-clone CI of 14:25); swarm turns the
// engine into a swarm manager (and leaves it); concurrency races berths against each other 20 times and counts
// on the engine answering them, not a dozen other files.
const LONG = [
  'test/e2e/clients-demo.test.ts',
  'test/e2e/compat.test.ts',
  'test/e2e/logs-load.test.ts',
  'test/e2e/sigint.test.ts',
  'test/e2e/isolation.test.ts',
  'test/e2e/buildkit.test.ts',
];
const ALONE = ['test/e2e/demo.test.ts', 'test/e2e/swarm.test.ts', 'test/e2e/concurrency.test.ts'];

// Unit tests never need an engine. e2e tests need a real dockerd and the local images; every file uses its own
// project names, free ports and temp folders, so two files run side by side (most of an e2e file's time is
// the engine and containers starting, not CPU): on 2 cores that halves the wall time of the suite.
// Vitest runs projects of one `groupOrder` in one pool of `maxWorkers`, so unit and e2e share the 2 workers.
// `long`, `alone` and `podman` are run on their own (`npm run test:long` runs the first two, `npm run
// test:podman` the last), each after `npm test` in CI.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts', 'test/tui/**/*.test.{ts,tsx}'],
          testTimeout: 20_000,
          maxWorkers: 2,
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          exclude: [...LONG, ...ALONE],
          testTimeout: 180_000,
          hookTimeout: 180_000,
          maxWorkers: 2,
          sequence: { groupOrder: 0 },
          globalSetup: ['test/e2e/global-setup.ts'],
        },
      },
      {
        test: {
          name: 'long',
          include: LONG,
          testTimeout: 180_000,
          hookTimeout: 180_000,
          maxWorkers: 2,
          sequence: { groupOrder: 1 },
          globalSetup: ['test/e2e/global-setup.ts'],
        },
      },
      {
        test: {
          name: 'alone',
          include: ALONE,
          testTimeout: 180_000,
          hookTimeout: 180_000,
          fileParallelism: false,
          sequence: { groupOrder: 2 },
          globalSetup: ['test/e2e/global-setup.ts'],
        },
      },
      {
        // The e2e subset against Podman (`npm run test:podman`, in .ci/run): every engine call of the tests and
        // of the CLIs they run goes to podman's Docker-API socket, never to the main dockerd.
        test: {
          name: 'podman',
          include: ['test/podman/**/*.test.ts'],
          testTimeout: 180_000,
          hookTimeout: 180_000,
          fileParallelism: false,
          sequence: { groupOrder: 3 },
          globalSetup: ['test/podman/global-setup.ts'],
          env: { DOCKER_HOST: `unix://${process.env.BERTH_PODMAN_SOCK || '/run/berth-podman.sock'}` },
        },
      },
    ],
  },
});
