import { tmpdir } from 'node:os';
import path from 'node:path';
import { defineConfig } from 'vitest/config';

// The parse cache of the CLIs and loaders under test goes to a scratch folder, not the user's ~/.cache:
// property tests alone parse thousands of generated files that nobody will read again.
process.env.BERTH_CACHE_DIR ??= path.join(tmpdir(), 'berth-test-parse-cache');

// Three projects: unit tests never need an engine; e2e tests need a real dockerd and run one file at a time
// because they share it (and the machine's two cores) with everything else; podman runs an e2e subset against
// Podman's Docker-compatible API (not part of `npm test`: `npm run test:podman`).
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts', 'test/tui/**/*.test.{ts,tsx}'],
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          testTimeout: 180_000,
          hookTimeout: 180_000,
          fileParallelism: false,
          globalSetup: ['test/e2e/global-setup.ts'],
        },
      },
      {
        // The e2e subset against Podman (`npm run test:podman`): every engine call of the tests and of the
        // CLIs they run goes to podman's Docker-API socket, never to the main dockerd.
        test: {
          name: 'podman',
          include: ['test/podman/**/*.test.ts'],
          testTimeout: 180_000,
          hookTimeout: 180_000,
          fileParallelism: false,
          globalSetup: ['test/podman/global-setup.ts'],
          env: { DOCKER_HOST: `unix://${process.env.BERTH_PODMAN_SOCK || '/run/berth-podman.sock'}` },
        },
      },
    ],
  },
});
