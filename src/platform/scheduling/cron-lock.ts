import { Injectable } from '@nestjs/common';
import Redlock from 'redlock';
import type { Redis } from 'ioredis';
import { RedisConnections } from '../redis/index.js';

export type LockAttempt =
  | { outcome: 'acquired'; lock: Redlock.Lock }
  | { outcome: 'lost' }
  /** Redis is down: the ledger's unique (name, fire time) alone decides who runs the tick. */
  | { outcome: 'unavailable' };

/**
 * Redlock over one dedicated fail-fast connection, with no retries: losing the race for a tick is the
 * normal path for all replicas but one.
 */
@Injectable()
export class CronLock {
  private readonly client: Redis;
  private readonly redlock: Redlock;

  constructor(private readonly redis: RedisConnections) {
    this.client = redis.open('cron-lock', {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
    });
    this.redlock = new Redlock([this.client], { retryCount: 0 });
    this.redlock.on('clientError', () => undefined);
  }

  key(name: string, fireAt: Date): string {
    return `${this.redis.prefix}:cron:{${name}}:${fireAt.getTime()}`;
  }

  async acquire(name: string, fireAt: Date, ttlMs: number): Promise<LockAttempt> {
    if (this.client.status !== 'ready') return { outcome: 'unavailable' };
    try {
      return {
        outcome: 'acquired',
        lock: await this.redlock.lock(this.key(name, fireAt), ttlMs),
      };
    } catch {
      return this.client.status === 'ready' ? { outcome: 'lost' } : { outcome: 'unavailable' };
    }
  }
}
