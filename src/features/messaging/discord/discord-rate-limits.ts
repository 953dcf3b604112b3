import { Injectable } from '@nestjs/common';
import { RedisConnections } from '../../../platform/redis/index.js';
import { MessagingSettings } from '../messaging.settings.js';

// Raises the stored "blocked until" time, never lowers it (two replicas may learn of limits at once).
const RAISE = `local cur = tonumber(redis.call('GET', KEYS[1]) or '0')
if tonumber(ARGV[1]) > cur then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) end
return 1`;

/**
 * When the Discord webhook may be called again, shared by every worker through Redis: a 429's
 * `retry_after`, or the bucket's `X-RateLimit-Reset-After` once `X-RateLimit-Remaining` is 0. keel posts
 * through one webhook, so one bucket covers it (a global limit blocks it the same way). Without Redis
 * each process still honours what it saw itself.
 */
@Injectable()
export class DiscordRateLimits {
  private blockedUntil = 0;

  constructor(
    private readonly redis: RedisConnections,
    private readonly settings: MessagingSettings,
  ) {}

  private get key(): string {
    return `${this.settings.redisPrefix}:discord:blocked-until`;
  }

  /** Milliseconds to wait before the next request (0: go). */
  async waitMs(): Promise<number> {
    const shared = await this.redis.client.get(this.key).then(Number, () => 0);
    return Math.max(0, this.blockedUntil - Date.now(), (Number.isFinite(shared) ? shared : 0) - Date.now());
  }

  async block(ms: number): Promise<void> {
    if (!(ms > 0)) return;
    const until = Date.now() + Math.ceil(ms);
    this.blockedUntil = Math.max(this.blockedUntil, until);
    await this.redis.client.eval(RAISE, 1, this.key, String(until), String(Math.ceil(ms))).catch(() => undefined);
  }

  /** Reads a response's bucket headers: an exhausted bucket blocks until it resets. */
  async observe(headers: Headers): Promise<void> {
    const resetAfter = Number(headers.get('x-ratelimit-reset-after'));
    if (headers.get('x-ratelimit-remaining') === '0' && resetAfter > 0) await this.block(resetAfter * 1000);
  }
}
