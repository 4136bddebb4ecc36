import { tmpdir } from 'node:os';
import path from 'node:path';
import { defineConfig } from 'vitest/config';

// The parse cache of the CLIs and loaders under test goes to a scratch folder, not the user's ~/.cache:
// property tests alone parse thousands of generated files that nobody will read again.
process.env.BERTH_CACHE_DIR ??= path.join(tmpdir(), 'berth-test-parse-cache');

// Two projects: unit tests never need an engine; e2e tests need a real dockerd and run one file at a time
// because they share it (and the machine's two cores) with everything else.
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
    ],
  },
});
