import { Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { RedisOptions as BullRedisOptions } from 'bullmq';
import { Redis, type RedisOptions } from 'ioredis';
import { AppConfig } from '../../config/index.js';

/**
 * Owns every ioredis connection of the process.
 * - `client`: request-path commands; fails fast (no offline queue) so a Redis outage never hangs a request.
 * - `subscriber`: pub/sub, created on first use.
 * - `bullProducer()` / `bullWorker()`: options for BullMQ queues (fail fast) and workers (block forever).
 */
@Injectable()
export class RedisConnections implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('Redis');
  private readonly opened: Redis[] = [];
  readonly client: Redis;
  private sub?: Redis;

  constructor(private readonly config: AppConfig) {
    this.client = this.open('client', { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
  }

  /**
   * Without an offline queue, a command sent before the first connect completes fails at once: wait for
   * it at boot (the preflight already proved Redis answers), so the first requests after listen succeed.
   */
  async onModuleInit(): Promise<void> {
    if (this.client.status === 'ready') return;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.client.off('ready', done);
        resolve();
      };
      const timer = setTimeout(done, this.config.BOOT_TIMEOUT_MS);
      this.client.once('ready', done);
    });
  }

  get prefix(): string {
    return this.config.REDIS_PREFIX;
  }

  get subscriber(): Redis {
    this.sub ??= this.open('subscriber', { maxRetriesPerRequest: null });
    return this.sub;
  }

  /** Options for BullMQ Queue/FlowProducer: commands fail at once while Redis is down. */
  bullProducer(): BullRedisOptions {
    return {
      ...this.base('bull-producer'),
      url: this.config.REDIS_URL,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
    };
  }

  /** Options for BullMQ Worker/QueueEvents: blocking commands, retried forever. */
  bullWorker(): BullRedisOptions {
    return { ...this.base('bull-worker'), url: this.config.REDIS_URL, maxRetriesPerRequest: null };
  }

  /** A dedicated connection (e.g. for Redlock) that the class closes on shutdown. */
  open(name: string, extra: RedisOptions = {}): Redis {
    const conn = new Redis(this.config.REDIS_URL, { ...this.base(name), ...extra });
    conn.on('error', (err: Error) => this.logger.warn(`${name}: ${err.message}`));
    this.opened.push(conn);
    return conn;
  }

  private base(name: string): RedisOptions & BullRedisOptions {
    return {
      connectionName: `keel:${this.config.APP_ROLE}:${name}`,
      retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
      lazyConnect: false,
    };
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.allSettled(
      this.opened.map((c) => (c.status === 'end' ? undefined : c.quit().catch(() => c.disconnect()))),
    );
  }
}
