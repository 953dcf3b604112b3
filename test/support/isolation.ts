import { randomBytes } from 'node:crypto';

/**
 * Names that keep one test suite's data away from every other suite's:
 * its own MongoDB database and its own Redis key prefix (on the shared Redis, or a private one).
 */
export function isolate(suite: string): { dbName: string; redisPrefix: string; env: Record<string, string> } {
  const tag = `${suite.replace(/[^a-z0-9]/gi, '_').slice(0, 30)}_${randomBytes(4).toString('hex')}`;
  const dbName = `t_${tag}`;
  const redisPrefix = `t:${tag}`;
  return { dbName, redisPrefix, env: { MONGO_DB: dbName, REDIS_PREFIX: redisPrefix } };
}

/** The Redis every test uses unless it starts its own (REDIS_URL, default the local one). */
export const sharedRedisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
