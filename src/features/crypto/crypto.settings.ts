import { Injectable } from '@nestjs/common';
import { AppConfig, BootError } from '../../config/index.js';

export const DEFAULT_FOLLOW_CRON = '*/5 * * * * *';

/**
 * The chain follower's cron expression. Decorators are evaluated when the module loads, before the
 * validated configuration exists, so this one variable is read from the process environment directly
 * (env.schema.ts validates the same variable at boot).
 */
export function followCronExpression(): string {
  return process.env.CRYPTO_FOLLOW_CRON?.trim() || DEFAULT_FOLLOW_CRON;
}

export const ASSETS = ['ETH', 'USDC'] as const;
export type Asset = (typeof ASSETS)[number];

/** How an asset moves on chain: ETH natively (transaction value), USDC as ERC-20 Transfer logs. */
export interface AssetSpec {
  asset: Asset;
  decimals: number;
  /** The ERC-20 contract (lower-case), for tokens. */
  token?: `0x${string}`;
}

/** The crypto feature's view of the configuration (README "Crypto"). */
@Injectable()
export class CryptoSettings {
  constructor(readonly config: AppConfig) {
    if (config.CRYPTO_REORG_DEPTH < config.CRYPTO_CONFIRMATIONS) {
      throw new BootError(
        `CRYPTO_REORG_DEPTH (${config.CRYPTO_REORG_DEPTH}) must be at least CRYPTO_CONFIRMATIONS (${config.CRYPTO_CONFIRMATIONS}): ` +
          'a confirmed deposit must never sit in a block keel can no longer check for reorganisations',
      );
    }
  }

  /** Variables to set before quotes can be priced; empty when configured. */
  missingForQuotes(): string[] {
    return this.config.CRYPTO_PRICE_FEED_URL ? [] : ['CRYPTO_PRICE_FEED_URL'];
  }

  /** Variables to set before deposits of `asset` (any asset when omitted) can be taken and followed. */
  missingForDeposits(asset?: Asset): string[] {
    const out: string[] = [];
    if (!this.config.CRYPTO_XPUB) out.push('CRYPTO_XPUB');
    if (!this.config.CRYPTO_RPC_URL) out.push('CRYPTO_RPC_URL');
    if (asset === 'USDC' && !this.config.CRYPTO_USDC_ADDRESS) out.push('CRYPTO_USDC_ADDRESS');
    return out;
  }

  /** The chain can be followed: a node to read and addresses to watch. */
  get followable(): boolean {
    return this.missingForDeposits().length === 0;
  }

  spec(asset: Asset): AssetSpec {
    if (asset === 'ETH') return { asset, decimals: 18 };
    return { asset, decimals: 6, token: this.config.CRYPTO_USDC_ADDRESS?.toLowerCase() as `0x${string}` | undefined };
  }

  get confirmations(): number {
    return this.config.CRYPTO_CONFIRMATIONS;
  }

  get reorgDepth(): number {
    return this.config.CRYPTO_REORG_DEPTH;
  }

  get redisPrefix(): string {
    return `${this.config.REDIS_PREFIX}:crypto`;
  }
}
