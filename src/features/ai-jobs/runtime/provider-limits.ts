import { Injectable } from '@nestjs/common';
import { RedisConnections } from '../../../platform/redis/index.js';
import { AiJobsSettings, RUN_LEASE_MS } from '../ai-jobs.settings.js';
import { abortableSleep } from './signals.js';

// Hand-written, small Lua scripts rather than a library: none of the installed packages offers a Redis
// semaphore or a shared rate limiter, and BullMQ's own queue limiter cannot be set on the bus's workers.
// Both use Redis's clock, so every worker agrees on time.

/** A counting semaphore: a sorted set of holders scored by when their hold expires (a dead worker's slot frees itself). */
const ACQUIRE_SLOT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZSCORE', KEYS[1], ARGV[1]) or redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[2]) then
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
  return 1
end
return 0`;

/** GCRA: one request every ARGV[1] ms on average, bursts of up to ARGV[2]; returns 0 (go) or the ms to wait. */
const TAKE_TOKEN = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local interval = tonumber(ARGV[1])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local wait = tat - interval * (tonumber(ARGV[2]) - 1) - now
if wait > 0 then return math.ceil(wait) end
redis.call('SET', KEYS[1], tostring(tat + interval), 'PX', math.ceil(tat + interval - now) + 1000)
return 0`;

export interface Slot {
  /** Extends the hold; false if it had expired and the slot was taken meanwhile. */
  renew(): Promise<boolean>;
  release(): Promise<void>;
}

/**
 * The limits every worker shares through Redis: at most AI_USER_CONCURRENCY jobs of one user calling the
 * provider at a time, and AI_RATE_LIMIT_PER_MINUTE provider requests across the deployment.
 */
@Injectable()
export class ProviderLimits {
  constructor(
    private readonly redis: RedisConnections,
    private readonly settings: AiJobsSettings,
  ) {}

  /** Waits (polling, with backoff) until the user has a free slot; rejects when `signal` aborts. */
  async acquireSlot(userId: string, holder: string, signal: AbortSignal): Promise<Slot> {
    const key = `${this.settings.redisPrefix}:slots:${userId}`;
    const limit = this.settings.config.AI_USER_CONCURRENCY;
    const tryOnce = async () => (await this.redis.client.eval(ACQUIRE_SLOT, 1, key, holder, limit, RUN_LEASE_MS)) === 1;
    for (let delay = 20; !(await tryOnce()); delay = Math.min(delay * 2, 500)) {
      await abortableSleep(delay / 2 + Math.random() * delay, signal);
    }
    return {
      renew: tryOnce,
      release: async () => {
        await this.redis.client.zrem(key, holder).catch(() => undefined);
      },
    };
  }

  /** Waits until the global rate limit lets one more provider request go. */
  async takeToken(signal: AbortSignal | undefined): Promise<void> {
    const perMinute = this.settings.config.AI_RATE_LIMIT_PER_MINUTE;
    const interval = 60_000 / perMinute;
    const burst = Math.max(1, Math.ceil(perMinute / 60));
    const key = `${this.settings.redisPrefix}:rate`;
    for (;;) {
      const wait = Number(await this.redis.client.eval(TAKE_TOKEN, 1, key, interval, burst));
      if (wait <= 0) return;
      await abortableSleep(wait, signal);
    }
  }
}
