import { getConnectionToken } from '@nestjs/mongoose';
import type { Connection } from 'mongoose';
import { ChainFollower, type SyncResult } from '../../../src/features/crypto/chain-follower.js';
import { FEATURES } from '../../../src/features/index.js';
import { call } from '../../http/http-app.js';
import { waitFor } from '../../events/support/wait.js';
import { bearer } from '../../support/auth/dev-tokens.js';
import { FakeCoinbase } from '../../support/coinbase/fake-coinbase.js';
import { TestChain } from '../../support/evm/test-chain.js';
import { bootInProcess, type RunningApp } from '../../support/in-process-app.js';
import { CryptoEventsRecorderModule, RECORDED_EVENTS } from './crypto-events.recorder.js';
import { MerchantWallet } from './keys.js';

export { call, waitFor };

export const FAST_BUS = { EVENTS_BACKOFF_MS: '100', EVENTS_BACKOFF_JITTER_PCT: '0', LOG_LEVEL: 'error' };

export interface CryptoHarness {
  app: RunningApp;
  chain: TestChain;
  feed: FakeCoinbase;
  wallet: MerchantWallet;
  db: Connection;
  as(user: string, method: string, path: string, json?: unknown): ReturnType<typeof call>;
  /** A quote then a deposit for `user`; returns the deposit body. */
  openDeposit(user: string, asset: 'ETH' | 'USDC', fiatAmount?: string): Promise<any>;
  /** One follower pass, as the cron runs it (after any pass in flight). */
  follow(): Promise<SyncResult | undefined>;
  deposit(user: string, id: string): Promise<any>;
  /** Recorded crypto events, waiting until `count` of them match. */
  events(filter: Record<string, unknown>, count?: number): Promise<any[]>;
  close(): Promise<void>;
}

/** keel in this process (all features plus an event recorder) against a Hardhat node with TestUSDC and a fake Coinbase. */
export async function bootCrypto(suite: string, env: Record<string, string> = {}): Promise<CryptoHarness> {
  const [chain, feed] = await Promise.all([TestChain.start(), FakeCoinbase.start()]);
  const wallet = new MerchantWallet();
  let app: RunningApp;
  try {
    app = await bootInProcess(
      suite,
      {
        ...FAST_BUS,
        ...feed.env(),
        CRYPTO_RPC_URL: chain.url,
        CRYPTO_XPUB: wallet.xpub,
        CRYPTO_USDC_ADDRESS: chain.usdc,
        CRYPTO_CONFIRMATIONS: '3',
        CRYPTO_REORG_DEPTH: '12',
        ...env,
      },
      [...FEATURES, () => CryptoEventsRecorderModule.forRole()],
    );
  } catch (err) {
    await Promise.all([chain.stop(), feed.stop()]);
    throw err;
  }
  const db = app.app.get<Connection>(getConnectionToken());
  const as: CryptoHarness['as'] = async (user, method, path, json) =>
    call(`${app.url}${path}`, { method, headers: await bearer(user), ...(json !== undefined ? { json } : {}) });
  return {
    app,
    chain,
    feed,
    wallet,
    db,
    as,
    openDeposit: async (user, asset, fiatAmount = '100.00') => {
      const quote = await as(user, 'POST', '/v1/crypto/quotes', { asset, fiatAmount, fiatCurrency: 'USD' });
      if (quote.status !== 201) throw new Error(`quote: ${quote.status} ${quote.text}`);
      const deposit = await as(user, 'POST', '/v1/crypto/deposits', { quoteId: quote.body.id });
      if (deposit.status !== 201) throw new Error(`deposit: ${deposit.status} ${deposit.text}`);
      return deposit.body;
    },
    follow: () => app.app.get(ChainFollower).sync(),
    deposit: async (user, id) => {
      const res = await as(user, 'GET', `/v1/crypto/deposits/${id}`);
      if (res.status !== 200) throw new Error(`GET deposit: ${res.status} ${res.text}`);
      return res.body;
    },
    events: (filter, count = 1) =>
      waitFor(
        async () => {
          const found = await db.collection(RECORDED_EVENTS).find(filter).sort({ at: 1 }).toArray();
          return found.length >= count ? found : undefined;
        },
        { what: `${count} crypto event(s) matching ${JSON.stringify(filter)}`, timeoutMs: 15_000 },
      ),
    close: async () => {
      await app.close();
      await Promise.all([chain.stop(), feed.stop()]);
    },
  };
}
