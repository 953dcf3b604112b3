import { defineConfig } from 'vitest/config';

/**
 * `npm run test:faults`: the fault-injection and bad-input suites (test/faults, `*.fault-spec.ts`), which
 * `npm test` does not run (its config only picks `*.spec.ts` and `*.e2e-spec.ts`). One suite at a time:
 * each puts a machine's worth of processes under load, and their timings must not depend on each other.
 */
export default defineConfig({
  test: {
    globals: true,
    root: './',
    include: ['test/faults/**/*.fault-spec.ts'],
    setupFiles: ['reflect-metadata'],
    globalSetup: ['./test/faults/support/global-setup.ts'],
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 120_000,
    reporters: [
      'default',
      ['json', { outputFile: 'test-results/faults.json' }],
      './test/faults/support/summary-reporter.ts',
    ],
  },
});
