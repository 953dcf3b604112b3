import { defineConfig } from 'vitest/config';

const faults = (name: string) => `test/faults/${name}.fault-spec.ts`;

/**
 * `npm run test:faults`: the fault-injection and bad-input suites (test/faults, `*.fault-spec.ts`), which
 * `npm test` does not run (its config only picks `*.spec.ts` and `*.e2e-spec.ts`).
 *
 * First the cron churn, whose 120 one-second ticks take two minutes at about one core (its replica
 * boots), runs beside the light suites, two files at a time: the bad-input and auth sweeps (one
 * in-process app: one core) assert no timings, and the MongoDB outage and flapping (one keel process at
 * a few hundred requests, the database in the test's process) only bound their answers at 20 s. Then the
 * suites that put a machine's worth of processes under load and check timings (autoscaling, the Redis
 * outage's readiness under HAProxy's 3 s check timeout) run one at a time, alone. (vitest runs groups by
 * sequence.groupOrder, each with its projects' maxWorkers.)
 */
const shared = {
  globals: true,
  root: './',
  setupFiles: ['reflect-metadata'],
  globalSetup: ['./test/faults/support/global-setup.ts'],
  testTimeout: 120_000,
  hookTimeout: 120_000,
};

export default defineConfig({
  test: {
    reporters: [
      'default',
      ['json', { outputFile: 'test-results/faults.json' }],
      './test/faults/support/summary-reporter.ts',
    ],
    projects: [
      {
        test: {
          ...shared,
          name: 'side by side',
          include: [
            faults('cron-churn'),
            faults('bad-input'),
            faults('mongo-outage'),
            faults('mongo-flap'),
            faults('auth-sweep'),
          ],
          maxWorkers: 2,
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: {
          ...shared,
          name: 'alone',
          include: [faults('autoscaling'), faults('redis-outage')],
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
