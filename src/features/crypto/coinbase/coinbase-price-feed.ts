import { Injectable } from '@nestjs/common';
import { CryptoSettings } from '../crypto.settings.js';
import { PriceFeed, UnknownPairError } from '../price-feed.js';

const PRICE = /^(0|[1-9]\d*)(\.\d+)?$/;

/**
 * Coinbase's public spot price endpoint (no key needed):
 * `GET {CRYPTO_PRICE_FEED_URL}/v2/prices/{ASSET}-{CURRENCY}/spot` → `{"data":{"amount":"3120.55","base":"ETH","currency":"USD"}}`.
 * Plain fetch: there is no SDK to wrap for one GET.
 */
@Injectable()
export class CoinbasePriceFeed extends PriceFeed {
  constructor(private readonly settings: CryptoSettings) {
    super();
  }

  async spot(asset: string, currency: string): Promise<string> {
    const base = this.settings.config.CRYPTO_PRICE_FEED_URL;
    if (!base) throw new Error('CRYPTO_PRICE_FEED_URL is not set');
    const url = `${base.replace(/\/+$/, '')}/v2/prices/${encodeURIComponent(asset)}-${encodeURIComponent(currency)}/spot`;
    const res = await fetch(url, {
      headers: { accept: 'application/json' },
      signal: AbortSignal.timeout(this.settings.config.CRYPTO_PRICE_TIMEOUT_MS),
    });
    if (res.status >= 400 && res.status < 500 && res.status !== 429 && res.status !== 408) {
      await res.body?.cancel();
      throw new UnknownPairError(`the price feed has no ${asset}-${currency} price (HTTP ${res.status})`);
    }
    if (!res.ok) {
      await res.body?.cancel();
      throw new Error(`the price feed answered HTTP ${res.status}`);
    }
    const body = (await res.json()) as { data?: { amount?: unknown; base?: unknown; currency?: unknown } };
    const amount = body?.data?.amount;
    if (typeof amount !== 'string' || !PRICE.test(amount) || /^0(\.0*)?$/.test(amount)) {
      throw new Error('the price feed answered without a positive decimal data.amount');
    }
    if (
      (body.data?.base !== undefined && body.data.base !== asset) ||
      (body.data?.currency !== undefined && body.data.currency !== currency)
    ) {
      throw new Error(
        `the price feed answered for another pair (${String(body.data?.base)}-${String(body.data?.currency)})`,
      );
    }
    return amount;
  }
}
