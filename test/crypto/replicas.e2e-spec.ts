import { MongoClient, type Db } from 'mongodb';
import { parseEther } from 'viem';
import { EmbeddedMongoServer } from '../../src/platform/database/embedded/index.js';
import { sleep, waitFor } from '../events/support/wait.js';
import { call } from '../http/http-app.js';
import { bearer } from '../support/auth/dev-tokens.js';
import { spawnApp, type ChildApp } from '../support/child-app.js';
import { FakeCoinbase } from '../support/coinbase/fake-coinbase.js';
import { TestChain } from '../support/evm/test-chain.js';
import { isolate } from '../support/isolation.js';
import { MerchantWallet } from './support/keys.js';

/**
 * Two replicas of the built app (`node dist/main.js`) on one MongoDB and one Redis prefix: the price cache
 * is shared (one feed call per pair per TTL across both, stale prices during an outage, then 503), deposit
 * indices are allocated atomically across both, and the exclusive cron (every second) follows the chain.
 */
describe('crypto across two replicas', () => {
  // Long enough that a burst of 60 requests on a busy machine is answered within one TTL.
  const TTL = 5000;
  const MAX_STALE = 16_000;
  let mongo: EmbeddedMongoServer | undefined;
  let client: MongoClient;
  let db: Db;
  let chain: TestChain;
  let feed: FakeCoinbase;
  const wallet = new MerchantWallet();
  let replicas: ChildApp[] = [];

  beforeAll(async () => {
    [chain, feed] = await Promise.all([TestChain.start(), FakeCoinbase.start()]);
    const mongoUrl = process.env.MONGO_URL ?? (mongo = await EmbeddedMongoServer.start()).uri();
    const iso = isolate('crypto_replicas');
    client = await MongoClient.connect(mongoUrl);
    db = client.db(iso.dbName);
    const env = {
      ...iso.env,
      MONGO_URL: mongoUrl,
      ...feed.env(),
      CRYPTO_RPC_URL: chain.url,
      CRYPTO_XPUB: wallet.xpub,
      CRYPTO_USDC_ADDRESS: chain.usdc,
      CRYPTO_CONFIRMATIONS: '2',
      CRYPTO_FOLLOW_CRON: '* * * * * *',
      CRYPTO_PRICE_CACHE_TTL_MS: String(TTL),
      CRYPTO_PRICE_MAX_STALE_MS: String(MAX_STALE),
      // A 300 ms feed must not time out on a machine at load 20 (a timeout marks the pair down for a TTL).
      CRYPTO_PRICE_TIMEOUT_MS: '2500',
      RATE_LIMIT_MAX: '0',
      LOG_LEVEL: 'info', // spawnApp waits for the 'listening on' line
    };
    // Generous start-up bound: the machine may be busy with other suites.
    replicas = await Promise.all([0, 1].map(() => spawnApp('crypto_replicas', { env, timeoutMs: 90_000 })));
  }, 180_000);

  afterAll(async () => {
    await Promise.all(replicas.map((r) => r.stop()));
    await client?.close();
    await mongo?.stop();
    await Promise.all([chain?.stop(), feed?.stop()]);
  });

  const as = async (i: number, user: string, method: string, path: string, json?: unknown) =>
    call(`${replicas[i % 2]!.url}${path}`, {
      method,
      headers: await bearer(user),
      ...(json !== undefined ? { json } : {}),
    });
  const quote = (i: number, asset = 'ETH', user = `u${i}`) =>
    as(i, user, 'POST', '/v1/crypto/quotes', { asset, fiatAmount: '100.00', fiatCurrency: 'USD' });

  it('calls the price feed once per pair per TTL for concurrent quotes on both replicas', async () => {
    feed.delayMs = 300;
    const results = await Promise.all([
      ...Array.from({ length: 40 }, (_, i) => quote(i)),
      ...Array.from({ length: 20 }, (_, i) => quote(i, 'USDC')),
    ]);
    expect(results.map((r) => r.status)).toEqual(Array(60).fill(201));
    expect(feed.requestsFor('ETH-USD')).toBe(1);
    expect(feed.requestsFor('USDC-USD')).toBe(1);
    expect(new Set(results.slice(0, 40).map((r) => r.body.rate))).toEqual(new Set(['3120.55']));

    feed.prices.set('ETH-USD', '3200.00');
    await sleep(TTL + 100);
    const next = await Promise.all(Array.from({ length: 20 }, (_, i) => quote(i)));
    expect(next.every((r) => r.status === 201 && r.body.rate === '3200.00')).toBe(true);
    expect(feed.requestsFor('ETH-USD')).toBe(2);
  });

  it('serves the cached price, at most CRYPTO_PRICE_MAX_STALE_MS old, while the feed fails or hangs; then 503; then recovers', async () => {
    const fresh = (await quote(0)).body;
    const fetchedAt = Date.parse(fresh.rateAt);
    const calls = feed.requestsFor('ETH-USD');
    feed.delayMs = 0;
    feed.mode = 'error';
    await sleep(Math.max(0, fetchedAt + TTL + 100 - Date.now()));
    const stale = await Promise.all(Array.from({ length: 20 }, (_, i) => quote(i)));
    expect(stale.every((r) => r.status === 201 && r.body.rate === fresh.rate && r.body.rateAt === fresh.rateAt)).toBe(
      true,
    );
    expect(feed.requestsFor('ETH-USD')).toBe(calls + 1);
    // Marked down for one TTL: more quotes meanwhile do not call the feed again.
    expect((await quote(1)).body.rateAt).toBe(fresh.rateAt);
    expect(feed.requestsFor('ETH-USD')).toBe(calls + 1);

    feed.mode = 'hang';
    await sleep(TTL + 100);
    const started = Date.now();
    const slow = await quote(0);
    expect(slow.status).toBe(201);
    expect(slow.body.rateAt).toBe(fresh.rateAt);
    expect(Date.now() - started).toBeLessThan(5000); // bounded by CRYPTO_PRICE_TIMEOUT_MS, not by the feed

    await sleep(Math.max(0, fetchedAt + MAX_STALE + 200 - Date.now()));
    const refused = await quote(1);
    expect(refused.status).toBe(503);
    expect(refused.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(refused.headers.get('retry-after')).toBeTruthy();
    expect(refused.body).toMatchObject({
      type: 'urn:keel:problem:service-unavailable',
      detail: expect.stringContaining('price feed'),
    });

    feed.mode = 'up';
    const back = await waitFor(
      async () => {
        const r = await quote(0);
        return r.status === 201 ? r : undefined;
      },
      { timeoutMs: TTL * 3, what: 'quotes to work again after the feed recovered' },
    );
    expect(Date.parse(back.body.rateAt)).toBeGreaterThan(fetchedAt);
  });

  it('gives 100 simultaneous deposits on both replicas 100 distinct addresses from distinct indices', async () => {
    const quotes = await Promise.all(
      Array.from({ length: 100 }, (_, i) => quote(i, i % 2 ? 'USDC' : 'ETH', `payer${i}`)),
    );
    expect(quotes.every((q) => q.status === 201)).toBe(true);
    const deposits = await Promise.all(
      quotes.map((q, i) => as(i, `payer${i}`, 'POST', '/v1/crypto/deposits', { quoteId: q.body.id })),
    );
    expect(deposits.map((d) => d.status)).toEqual(Array(100).fill(201));
    expect(new Set(deposits.map((d) => d.body.address)).size).toBe(100);
    const docs = await db
      .collection('crypto_deposits')
      .find({ ownerId: /^payer/ })
      .toArray();
    expect(new Set(docs.map((d) => d.index)).size).toBe(100);
    for (const d of docs) expect(wallet.signer(d.index as number).address.toLowerCase()).toBe(d.address);
  }, 120_000);

  it('confirms a paid deposit through the exclusive cron alone, one follower tick at a time', async () => {
    const q = (await quote(0, 'ETH', 'cron-user')).body;
    const d = (await as(1, 'cron-user', 'POST', '/v1/crypto/deposits', { quoteId: q.id })).body;
    await chain.sendEth(d.address, parseEther(d.amount));
    await waitFor(
      async () => (await as(0, 'cron-user', 'GET', `/v1/crypto/deposits/${d.id}`)).body.status === 'detected',
      {
        timeoutMs: 20_000,
        what: 'the cron to detect the payment',
      },
    );
    await chain.node.mine(1);
    const done = await waitFor(
      async () => {
        const r = await as(1, 'cron-user', 'GET', `/v1/crypto/deposits/${d.id}`);
        return r.body.status === 'confirmed' ? r.body : undefined;
      },
      { timeoutMs: 20_000, what: 'the cron to confirm the deposit' },
    );
    expect(done).toMatchObject({ received: d.amount, confirmations: 2, payment: 'exact' });
    const runs = await db.collection('cron_runs').find({ name: 'crypto.follow-chain' }).toArray();
    expect(runs.length).toBeGreaterThan(0);
    expect(new Set(runs.map((r) => (r.fireAt as Date).toISOString())).size).toBe(runs.length);
  }, 60_000);
});
