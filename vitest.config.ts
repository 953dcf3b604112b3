import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    globals: true,
    root: './',
    include: ['src/**/*.spec.ts', 'test/**/*.spec.ts', 'test/**/*.e2e-spec.ts'],
    setupFiles: ['reflect-metadata'],
    globalSetup: ['./test/support/global-setup.ts'],
    testTimeout: 30_000,
    // Two files at a time (vitest would run one on 2 cores): most suites wait on child processes, Redis
    // and timers rather than burn CPU. KEEL_TEST_WORKERS=1 runs them one by one.
    maxWorkers: Number(process.env.KEEL_TEST_WORKERS ?? 2),
    hookTimeout: 60_000,
    reporters: ['default', ['json', { outputFile: 'test-results/vitest.json' }]],
  },
});
