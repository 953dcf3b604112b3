import { rmSync } from 'node:fs';
import { Redis } from 'ioredis';
import type { TestProject } from 'vitest/node';
import { transpileProject } from '../../events/support/build-fixtures.js';
import { sharedRedisUrl } from '../../support/isolation.js';
import { TABLE_DIR } from './summary.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Transpiled copy of src/ and test/faults/fixtures that the suites' child processes run. */
    faultsBuild: string;
  }
}

/**
 * Once per `npm run test:faults`: Redis must answer, the summary table starts empty, and src/ plus the
 * fault fixtures are transpiled once into a private directory for every child process (not dist/, which
 * `npm test` rebuilds: a concurrent build must not change the code under test mid-scenario).
 */
export default async function setup(project: TestProject): Promise<() => void> {
  const redis = new Redis(sharedRedisUrl, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    await redis.ping();
  } catch (err) {
    throw new Error(
      `The fault suites need Redis 7 at ${sharedRedisUrl} (${(err as Error).message}); they also start private ones.`,
    );
  } finally {
    redis.disconnect();
  }
  // Each project of vitest.faults.config.ts runs this at the start: the first transpiles, the others
  // share its copy (removed by the first's teardown, once every project has finished).
  const shared = process.env.KEEL_FAULTS_BUILD_DIR;
  if (shared) {
    project.provide('faultsBuild', shared);
    return () => undefined;
  }
  rmSync(TABLE_DIR, { recursive: true, force: true });
  const build = transpileProject(['test/faults/fixtures']);
  process.env.KEEL_FAULTS_BUILD_DIR = build.dir;
  project.provide('faultsBuild', build.dir);
  return () => {
    delete process.env.KEEL_FAULTS_BUILD_DIR;
    build.cleanup();
  };
}
