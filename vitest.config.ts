import { defineConfig } from 'vitest/config';
// The workers inherit this process's environment: the AWS SDK's Node 22 notice stays off in each (see the file).
import './infra/node-support.js';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    // Broker logs are held back and printed only for a failing test (VERBOSE_TEST_LOGS=1 shows them all).
    setupFiles: ['test/support/log-capture.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 2,
  },
});
