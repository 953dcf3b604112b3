import { ChainFollower } from '../../src/features/crypto/chain-follower.js';
import { BootError } from '../../src/config/index.js';
import { bearer } from '../support/auth/dev-tokens.js';
import { FakeCoinbase } from '../support/coinbase/fake-coinbase.js';
import { bootInProcess, type RunningApp } from '../support/in-process-app.js';
import { call } from '../http/http-app.js';
import { MerchantWallet } from './support/keys.js';

describe('crypto without its providers configured', () => {
  const apps: RunningApp[] = [];
  let feed: FakeCoinbase;
  beforeAll(async () => (feed = await FakeCoinbase.start()));
  afterAll(async () => {
    await Promise.all(apps.map((a) => a.close()));
    await feed?.stop();
  });
  const boot = async (suite: string, env: Record<string, string>) => {
    const app = await bootInProcess(suite, { LOG_LEVEL: 'fatal', ...env });
    apps.push(app);
    return app;
  };
  const problem = (res: Awaited<ReturnType<typeof call>>, ...variables: string[]) => {
    expect(res.status).toBe(503);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ type: 'urn:keel:problem:not-configured', status: 503 });
    expect(res.body.detail).toBe(`This feature is not configured on the server: set ${variables.join(', ')}.`);
  };

  it('answers 503 problem+json naming the variables on every crypto route, while keel runs on', async () => {
    const { url, app } = await boot('crypto_unconfigured', {});
    const auth = await bearer('uma');
    problem(
      await call(`${url}/v1/crypto/quotes`, {
        method: 'POST',
        headers: auth,
        json: { asset: 'ETH', fiatAmount: '1', fiatCurrency: 'USD' },
      }),
      'CRYPTO_PRICE_FEED_URL',
    );
    problem(
      await call(`${url}/v1/crypto/deposits`, {
        method: 'POST',
        headers: auth,
        json: { quoteId: '66b0c0ffee0000000000cafe' },
      }),
      'CRYPTO_XPUB',
      'CRYPTO_RPC_URL',
    );
    problem(await call(`${url}/v1/crypto/deposits`, { headers: auth }), 'CRYPTO_XPUB', 'CRYPTO_RPC_URL');
    problem(
      await call(`${url}/v1/crypto/deposits/66b0c0ffee0000000000cafe`, { headers: auth }),
      'CRYPTO_XPUB',
      'CRYPTO_RPC_URL',
    );
    expect((await call(`${url}/health/ready`)).status).toBe(200);
    expect((await call(`${url}/docs/json`)).body.paths['/v1/crypto/quotes']).toBeDefined();
    expect(await app.get(ChainFollower).sync()).toBeUndefined(); // the cron has nothing to follow
  });

  it('prices quotes with only the feed set, names CRYPTO_USDC_ADDRESS for a USDC deposit alone, and survives a dead node', async () => {
    const wallet = new MerchantWallet();
    const { url, app } = await boot('crypto_no_usdc', {
      ...feed.env(),
      CRYPTO_XPUB: wallet.xpub,
      CRYPTO_RPC_URL: 'http://127.0.0.1:9/v2/secret-api-key',
    });
    const auth = await bearer('uma');
    const quote = async (asset: string) =>
      (
        await call(`${url}/v1/crypto/quotes`, {
          method: 'POST',
          headers: auth,
          json: { asset, fiatAmount: '1', fiatCurrency: 'USD' },
        })
      ).body;
    const usdc = await call(`${url}/v1/crypto/deposits`, {
      method: 'POST',
      headers: auth,
      json: { quoteId: (await quote('USDC')).id },
    });
    problem(usdc, 'CRYPTO_USDC_ADDRESS');
    const eth = await call(`${url}/v1/crypto/deposits`, {
      method: 'POST',
      headers: auth,
      json: { quoteId: (await quote('ETH')).id },
    });
    expect(eth.status).toBe(201);
    expect(eth.body.address).toBe(wallet.signer(0).address);
    // The node is unreachable: the follower's pass fails (the cron logs it) without leaking the URL's key.
    const failed = await app
      .get(ChainFollower)
      .sync()
      .then(
        () => undefined,
        (err: Error) => err,
      );
    expect(failed?.message).toMatch(/^JSON-RPC eth_blockNumber failed/);
    expect(failed?.message).not.toContain('secret-api-key');
  });

  it('refuses to boot with an extended private key, a malformed xpub, or a reorg depth below the confirmations', async () => {
    const wallet = new MerchantWallet();
    await expect(boot('crypto_xprv', { CRYPTO_XPUB: wallet.xprv })).rejects.toThrow(/CRYPTO_XPUB/);
    await expect(boot('crypto_xprv', { CRYPTO_XPUB: wallet.xprv })).rejects.not.toThrow(wallet.xprv);
    const corrupt = `${wallet.xpub.slice(0, -4)}${wallet.xpub.slice(-4) === 'aaaa' ? 'bbbb' : 'aaaa'}`;
    await expect(boot('crypto_bad_xpub', { CRYPTO_XPUB: corrupt })).rejects.toThrow(BootError);
    await expect(boot('crypto_bad_xpub', { CRYPTO_XPUB: 'not-a-key' })).rejects.toThrow(
      /CRYPTO_XPUB .*extended public key/,
    );
    await expect(boot('crypto_depth', { CRYPTO_CONFIRMATIONS: '20', CRYPTO_REORG_DEPTH: '10' })).rejects.toThrow(
      /CRYPTO_REORG_DEPTH .* at least CRYPTO_CONFIRMATIONS/,
    );
  });
});
