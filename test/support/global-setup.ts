import { execFileSync } from 'node:child_process';
import { Redis } from 'ioredis';
import { projectRoot } from './child-app.js';
import { sharedRedisUrl } from './isolation.js';

/** Once per test run: Redis must answer, and dist/ must hold the current build for child-process suites. */
export default async function setup(): Promise<void> {
  const redis = new Redis(sharedRedisUrl, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    await redis.ping();
  } catch (err) {
    throw new Error(
      `Tests need Redis 7 at ${sharedRedisUrl} (${(err as Error).message}). Start it (redis-server --daemonize yes) or set REDIS_URL.`,
    );
  } finally {
    redis.disconnect();
  }
  // KEEL_TEST_SKIP_BUILD=1 saves the build when iterating on suites that start no child process.
  if (process.env.KEEL_TEST_SKIP_BUILD === '1') return;
  execFileSync(process.execPath, ['node_modules/@nestjs/cli/bin/nest.js', 'build'], {
    cwd: projectRoot,
    stdio: 'inherit',
  });
}
