import { Injectable, Logger, type BeforeApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { RedisConnections } from '../redis/index.js';

const TTL_MS = 15_000;
const RENEW_MS = 5_000;

// Take the lock when free, keep it when ours: one round trip, no race between GET and SET.
const ACQUIRE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
return 0`;
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

/**
 * Decides which replica exports the cluster-wide gauges (queue depths, outbox lag, dead letters, cron
 * freshness). Those values are the same whoever reads them, so if every replica exported them a
 * `sum()` in Prometheus would multiply them by the replica count. The holder of a short Redis lock
 * (`<prefix>:metrics:queue-gauges`, 15 s, renewed every 5 s) exports them; the others export no series.
 * If the holder dies, another replica takes over within the TTL; a draining replica hands over at once.
 */
@Injectable()
export class ExporterLock implements OnModuleInit, BeforeApplicationShutdown {
  private readonly logger = new Logger('Metrics');
  private readonly id = randomUUID();
  private timer?: NodeJS.Timeout;
  private holder = false;

  constructor(private readonly redis: RedisConnections) {}

  get key(): string {
    return `${this.redis.prefix}:metrics:queue-gauges`;
  }

  /** True while this replica holds the lock (as of the last renewal). */
  get held(): boolean {
    return this.holder;
  }

  onModuleInit(): void {
    void this.renew();
    this.timer = setInterval(() => void this.renew(), RENEW_MS);
    this.timer.unref();
  }

  async renew(): Promise<boolean> {
    try {
      const won = (await this.redis.client.eval(ACQUIRE, 1, this.key, this.id, TTL_MS)) === 1;
      if (won !== this.holder)
        this.logger.log(
          won ? 'this replica now exports the cluster-wide gauges' : 'another replica exports the cluster-wide gauges',
        );
      this.holder = won;
    } catch {
      this.holder = false; // Redis is down: no replica can read the queues anyway
    }
    return this.holder;
  }

  async release(): Promise<void> {
    clearInterval(this.timer);
    if (!this.holder) return;
    this.holder = false;
    await this.redis.client.eval(RELEASE, 1, this.key, this.id).catch(() => undefined);
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.release();
  }
}
