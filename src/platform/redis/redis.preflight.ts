import { Logger } from '@nestjs/common';
import { Redis } from 'ioredis';
import { BootError, redactUrl } from '../../config/index.js';

/**
 * Runs once at boot, before Nest builds anything: Redis must answer, and should evict nothing.
 * BullMQ keys silently disappearing under an eviction policy would lose jobs, so say it loudly.
 */
export async function redisPreflight(url: string, timeoutMs: number, logger = new Logger('Redis')): Promise<void> {
  const probe = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: timeoutMs,
  });
  probe.on('error', () => undefined);
  try {
    await probe.connect();
    await probe.ping();
  } catch (err) {
    probe.disconnect();
    const reason = err instanceof Error ? err.message : String(err);
    throw new BootError(
      `Redis is unreachable at REDIS_URL=${redactUrl(url)} (${reason}).\n` +
        'Start Redis 7 there (for example `redis-server --daemonize yes`) or set REDIS_URL to a reachable Redis, then start again.',
    );
  }
  try {
    const reply = (await probe.call('CONFIG', 'GET', 'maxmemory-policy')) as string[];
    const policy = reply?.[1];
    if (policy !== 'noeviction') {
      logger.warn(
        `!!! Redis maxmemory-policy is "${policy}", not "noeviction": under memory pressure Redis will ` +
          'evict queue keys and jobs will be LOST. Set `maxmemory-policy noeviction` on this Redis. !!!',
      );
    }
  } catch {
    logger.warn('Could not read Redis maxmemory-policy (CONFIG GET is disabled?); make sure it is "noeviction".');
  } finally {
    probe.disconnect();
  }
}
