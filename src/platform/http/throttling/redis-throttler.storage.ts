import { Logger } from '@nestjs/common';
import type { ThrottlerStorage } from '@nestjs/throttler';
import type { Redis } from 'ioredis';

interface ThrottlerStorageRecord {
  totalHits: number;
  timeToExpire: number;
  isBlocked: boolean;
  timeToBlockExpire: number;
}

// Fixed window per key; once over the limit the key stays blocked for blockDuration. One round trip.
const HIT = `
local hits = redis.call('INCR', KEYS[1])
if hits == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
local blocked = redis.call('PTTL', KEYS[2])
if blocked > 0 then return {hits, ttl, 1, blocked} end
if hits > tonumber(ARGV[2]) then
  redis.call('SET', KEYS[2], '1', 'PX', ARGV[3])
  return {hits, ttl, 1, tonumber(ARGV[3])}
end
return {hits, ttl, 0, 0}
`;

const COMMAND = 'keelThrottleHit';
type HitCommand = (...args: Array<string | number>) => Promise<[number, number, number, number]>;

const OPEN: ThrottlerStorageRecord = {
  totalHits: 0,
  timeToExpire: 0,
  isBlocked: false,
  timeToBlockExpire: 0,
};

/**
 * Rate-limit counters in Redis, shared by every replica. Fails open: while Redis is down or slow the
 * request is allowed (and the outage logged once a minute), because refusing traffic is worse than
 * briefly not limiting it.
 */
export class RedisThrottlerStorage implements ThrottlerStorage {
  private readonly logger = new Logger('RateLimit');
  private lastWarning = 0;

  constructor(
    private readonly redis: Redis,
    private readonly timeoutMs = 250,
  ) {
    // defineCommand sends EVALSHA and falls back to EVAL once per connection.
    if (!(COMMAND in redis)) redis.defineCommand(COMMAND, { numberOfKeys: 2, lua: HIT });
  }

  async increment(key: string, ttl: number, limit: number, blockDuration: number): Promise<ThrottlerStorageRecord> {
    let timer: NodeJS.Timeout | undefined;
    try {
      const reply = await Promise.race([
        (this.redis as unknown as Record<string, HitCommand>)[COMMAND](
          key,
          `${key}:blocked`,
          ttl,
          limit,
          blockDuration,
        ),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${this.timeoutMs} ms`)), this.timeoutMs);
        }),
      ]);
      const [totalHits, expiresMs, blocked, blockMs] = reply;
      return {
        totalHits,
        timeToExpire: Math.max(0, Math.ceil(expiresMs / 1000)),
        isBlocked: blocked === 1,
        timeToBlockExpire: Math.max(1, Math.ceil(blockMs / 1000)),
      };
    } catch (err) {
      this.warn(err);
      return OPEN;
    } finally {
      clearTimeout(timer);
    }
  }

  private warn(err: unknown): void {
    if (Date.now() - this.lastWarning < 60_000) return;
    this.lastWarning = Date.now();
    this.logger.warn(`Redis unavailable, rate limits are not enforced (failing open): ${(err as Error).message}`);
  }
}
