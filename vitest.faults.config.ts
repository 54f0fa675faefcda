// `npm run test:faults`: the fault tests (tests/faults/), one file at a time, each with its own
// local stack (and, where the fault needs it, its own PostgreSQL or redis-server to pull away).
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/faults/**/*.test.ts'],
    globalSetup: ['tests/support/global-setup.ts'],
    pool: 'forks',
    // Sequential: the faults stop and start servers and measure time; they must not compete.
    fileParallelism: false,
    maxWorkers: 1,
    testTimeout: 240_000,
    hookTimeout: 120_000,
    teardownTimeout: 30_000,
  },
});
