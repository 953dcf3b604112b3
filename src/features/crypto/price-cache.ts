import { Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { ProblemException } from '../../platform/http/index.js';
import { RedisConnections } from '../../platform/redis/index.js';
import { CryptoSettings } from './crypto.settings.js';
import { PriceFeed, UnknownPairError } from './price-feed.js';

export interface Rate {
  /** Fiat per whole unit of the asset, an exact decimal string. */
  price: string;
  /** When the feed gave this price. */
  at: Date;
  /** Served from the cache past CRYPTO_PRICE_CACHE_TTL_MS because the feed is down. */
  stale: boolean;
}

interface Entry {
  price: string;
  at: number;
}

const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;
const POLL_MS = 25;

/**
 * Spot prices through a Redis cache shared by every replica, with single-flight: per pair and per
 * CRYPTO_PRICE_CACHE_TTL_MS, one replica (the holder of a SET NX PX lock) calls the feed while the others
 * poll the cache. A failed call marks the pair down for one TTL, so an outage costs one upstream call per
 * TTL too; meanwhile a price at most CRYPTO_PRICE_MAX_STALE_MS old is served, then 503.
 * Hand-written: the lock plus polling is a dozen lines and no installed package offers it.
 */
@Injectable()
export class PriceCache {
  private readonly logger = new Logger('CryptoPrices');
  private readonly inflight = new Map<string, Promise<Rate>>();

  constructor(
    private readonly feed: PriceFeed,
    private readonly redis: RedisConnections,
    private readonly settings: CryptoSettings,
  ) {}

  rate(asset: string, currency: string): Promise<Rate> {
    const pair = `${asset}-${currency}`;
    let pending = this.inflight.get(pair);
    if (!pending) {
      // Requests of this replica share one look at the cache (and at most one feed call).
      pending = this.shared(asset, currency).finally(() => this.inflight.delete(pair));
      this.inflight.set(pair, pending);
    }
    return pending;
  }

  private async shared(asset: string, currency: string): Promise<Rate> {
    const { CRYPTO_PRICE_CACHE_TTL_MS: ttl, CRYPTO_PRICE_TIMEOUT_MS: timeout } = this.settings.config;
    const key = `${this.settings.redisPrefix}:price:${asset}-${currency}`;
    const client = this.redis.client;
    const deadline = Date.now() + timeout + 1000;
    let cached: Entry | undefined;
    try {
      for (;;) {
        cached = parse(await client.get(key));
        if (cached && Date.now() - cached.at < ttl)
          return { price: cached.price, at: new Date(cached.at), stale: false };
        if (await client.exists(`${key}:down`)) return this.staleOr503(cached, asset, currency);
        const token = randomUUID();
        if (await client.set(`${key}:lock`, token, 'PX', timeout + 1000, 'NX')) {
          try {
            // The previous holder may have filled the cache between our read and our lock.
            cached = parse(await client.get(key));
            if (cached && Date.now() - cached.at < ttl)
              return { price: cached.price, at: new Date(cached.at), stale: false };
            return await this.fetchInto(key, asset, currency);
          } finally {
            await client.eval(RELEASE, 1, `${key}:lock`, token).catch(() => undefined);
          }
        }
        if (Date.now() > deadline) return this.staleOr503(cached, asset, currency);
        await new Promise((r) => setTimeout(r, POLL_MS));
      }
    } catch (err) {
      if (err instanceof ProblemException) throw err;
      if (err instanceof UnknownPairError) throw unknownPair(asset, currency);
      // Anything else is Redis failing: price straight from the feed rather than refuse every quote.
      this.logger.warn(`price cache unavailable (${(err as Error).message}); asking the feed directly`);
      return this.direct(asset, currency, cached);
    }
  }

  /** The lock holder's call: caches the price for every replica, or marks the pair down for one TTL. */
  private async fetchInto(key: string, asset: string, currency: string): Promise<Rate> {
    const { CRYPTO_PRICE_CACHE_TTL_MS: ttl, CRYPTO_PRICE_MAX_STALE_MS: maxStale } = this.settings.config;
    let price: string;
    try {
      price = await this.feed.spot(asset, currency);
    } catch (err) {
      if (err instanceof UnknownPairError) throw err;
      this.logger.warn(`price feed failed for ${asset}-${currency}: ${(err as Error).message}`);
      await this.redis.client.set(`${key}:down`, '1', 'PX', ttl);
      return this.staleOr503(parse(await this.redis.client.get(key)), asset, currency);
    }
    const entry: Entry = { price, at: Date.now() };
    await this.redis.client.set(key, JSON.stringify(entry), 'PX', Math.max(ttl, maxStale));
    return { price, at: new Date(entry.at), stale: false };
  }

  private async direct(asset: string, currency: string, cached: Entry | undefined): Promise<Rate> {
    try {
      const price = await this.feed.spot(asset, currency);
      return { price, at: new Date(), stale: false };
    } catch (err) {
      if (err instanceof UnknownPairError) throw unknownPair(asset, currency);
      return this.staleOr503(cached, asset, currency);
    }
  }

  private staleOr503(cached: Entry | undefined, asset: string, currency: string): Rate {
    if (cached && Date.now() - cached.at <= this.settings.config.CRYPTO_PRICE_MAX_STALE_MS) {
      return { price: cached.price, at: new Date(cached.at), stale: true };
    }
    throw ProblemException.unavailable(
      `The price feed is unavailable and no ${asset}-${currency} price recent enough is cached; try again shortly.`,
    );
  }
}

function parse(raw: string | null): Entry | undefined {
  if (!raw) return undefined;
  try {
    const e = JSON.parse(raw) as Entry;
    return typeof e.price === 'string' && typeof e.at === 'number' ? e : undefined;
  } catch {
    return undefined;
  }
}

function unknownPair(asset: string, currency: string): ProblemException {
  return new ProblemException(
    422,
    'No price for this currency',
    `The price feed has no ${asset} price in ${currency}.`,
    {
      errors: [{ field: 'fiatCurrency', message: `has no ${asset} price at the price feed` }],
    },
  );
}
