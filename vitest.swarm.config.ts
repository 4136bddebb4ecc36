import { tmpdir } from 'node:os';
import path from 'node:path';
import { defineConfig } from 'vitest/config';

process.env.BERTH_CACHE_DIR ??= path.join(tmpdir(), 'berth-test-parse-cache');

// `npm run test:swarm`: berth on a 2-node swarm this machine builds for the run (scripts/swarm-nodes.sh, needs
// root). Apart from `npm test`: it makes its own engines and takes longer than an e2e file should.
export default defineConfig({
  test: {
    include: ['test/swarm/**/*.test.ts'],
    testTimeout: 600_000,
    hookTimeout: 300_000,
    fileParallelism: false,
  },
});
