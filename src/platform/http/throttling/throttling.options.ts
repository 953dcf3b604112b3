import type { ExecutionContext } from '@nestjs/common';
import type { ThrottlerModuleOptions } from '@nestjs/throttler';
import type { FastifyRequest } from 'fastify';
import type { AppConfig } from '../../../config/index.js';
import type { RedisConnections } from '../../redis/index.js';
import { requestPath } from '../auth/route-access.js';
import { RedisThrottlerStorage } from './redis-throttler.storage.js';

const UNLIMITED = ['/health/', '/metrics'];

/**
 * One budget per caller across all routes: the user id when authenticated (the auth guard runs first),
 * the client IP otherwise. Probes and metrics are never limited; RATE_LIMIT_MAX=0 turns limits off.
 */
export function throttlingOptions(config: AppConfig, redis: RedisConnections): ThrottlerModuleOptions {
  const disabled = config.RATE_LIMIT_MAX === 0;
  return {
    throttlers: [
      {
        name: 'default',
        limit: config.RATE_LIMIT_MAX,
        ttl: config.RATE_LIMIT_WINDOW_MS,
      },
    ],
    storage: new RedisThrottlerStorage(redis.client),
    skipIf: (context: ExecutionContext) => {
      if (disabled || context.getType() !== 'http') return true;
      const path = requestPath(context.switchToHttp().getRequest<FastifyRequest>().url);
      return UNLIMITED.some((p) => path.startsWith(p) || path === p.replace(/\/$/, ''));
    },
    getTracker: (req) => {
      const request = req as FastifyRequest;
      return request.user ? `user:${request.user.id}` : `ip:${request.ip}`;
    },
    generateKey: (_context, tracker, name) => `${redis.prefix}:ratelimit:${name}:${tracker}`,
  };
}
