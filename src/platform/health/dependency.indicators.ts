import { Injectable } from '@nestjs/common';
import { InjectConnection } from '@nestjs/mongoose';
import { HealthIndicatorService } from '@nestjs/terminus';
import type { Connection } from 'mongoose';
import { RedisConnections } from '../redis/index.js';

const PROBE_TIMEOUT_MS = 1000;

/**
 * Readiness checks of the two stores, each raced against a timeout. MongoDB is required by every role.
 * Redis is required where jobs run; where HTTP is served it is not (the outbox keeps accepted events,
 * rate limits fail open, Idempotency-Keys live in MongoDB), so there a Redis outage only degrades.
 */
@Injectable()
export class DependencyIndicators {
  constructor(
    private readonly indicators: HealthIndicatorService,
    @InjectConnection() private readonly mongo: Connection,
    private readonly redis: RedisConnections,
  ) {}

  mongodb() {
    return this.indicators
      .check('mongodb')
      .attempt(async () => {
        if (!this.mongo.db) throw new Error('not connected');
        await this.mongo.db.admin().command({ ping: 1 });
      })
      .withTimeout(PROBE_TIMEOUT_MS);
  }

  /** Down when Redis does not answer, or only `degraded` (readiness stays 200) when `required` is false. */
  async redisPing(required = true) {
    const result = await this.indicators
      .check('redis')
      .attempt(async () => {
        await this.redis.client.ping();
      })
      .withTimeout(PROBE_TIMEOUT_MS);
    if (required || result.redis.status !== 'down') return result;
    const { status: _down, ...details } = result.redis;
    return this.indicators.check('redis').degraded({
      ...details,
      impact: 'requests are accepted and their events wait in the outbox until Redis is back',
    });
  }
}
