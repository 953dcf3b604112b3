import { formatUnits, parseUnits } from 'viem';
import { bearer } from '../support/auth/dev-tokens.js';
import { bootCrypto, call, type CryptoHarness } from './support/crypto-app.js';

/** Units of the asset that buy `fiat` at `price`, rounded up: the reference computation, written independently. */
function expectedUnits(fiat: string, fiatDecimals: number, price: string, decimals: number): bigint {
  const pd = price.includes('.') ? price.split('.')[1]!.length : 0;
  const num = parseUnits(fiat, fiatDecimals) * 10n ** BigInt(pd + decimals);
  const den = parseUnits(price, pd) * 10n ** BigInt(fiatDecimals);
  return num / den + (num % den === 0n ? 0n : 1n);
}

describe('crypto API: quotes, deposits, validation, ownership, pagination, OpenAPI', () => {
  let h: CryptoHarness;
  beforeAll(async () => (h = await bootCrypto('crypto_api')), 120_000);
  afterAll(async () => h?.close());

  it.each([
    ['ETH', '100.00', 'USD', '3120.55', 2, 18],
    ['ETH', '15000', 'JPY', '468123', 0, 18],
    ['ETH', '0.01', 'EUR', '2890.10', 2, 18],
    ['USDC', '50.00', 'USD', '0.9998', 2, 6],
  ] as const)(
    'quotes %s for %s %s exactly, rounding up to the asset’s smallest unit',
    async (asset, fiatAmount, fiatCurrency, price, fd, decimals) => {
      const before = Date.now();
      const res = await h.as('quinn', 'POST', '/v1/crypto/quotes', {
        asset,
        fiatAmount,
        fiatCurrency: fiatCurrency.toLowerCase(),
      });
      expect(res.status).toBe(201);
      const units = expectedUnits(fiatAmount, fd, price, decimals);
      expect(res.body).toEqual({
        id: expect.stringMatching(/^[0-9a-f]{24}$/),
        asset,
        fiatAmount,
        fiatCurrency,
        cryptoAmount: formatUnits(units, decimals),
        cryptoAmountBaseUnits: units.toString(),
        rate: price,
        rateAt: expect.any(String),
        expiresAt: expect.any(String),
      });
      // Worth at least the fiat amount, and one base unit less would not be: units·P·10^fd ≥ F·10^(pd+decimals).
      const pd = price.split('.')[1]?.length ?? 0;
      const paid = (u: bigint) => u * parseUnits(price, pd) * 10n ** BigInt(fd);
      const owed = parseUnits(fiatAmount, fd) * 10n ** BigInt(pd + decimals);
      expect(paid(units) >= owed).toBe(true);
      expect(paid(units - 1n) < owed).toBe(true);
      const ttl = Date.parse(res.body.expiresAt) - before;
      expect(ttl).toBeGreaterThanOrEqual(59_000);
      expect(ttl).toBeLessThanOrEqual(61_000);
    },
  );

  it.each([
    [{ asset: 'BTC', fiatAmount: '10.00', fiatCurrency: 'USD' }, 'asset'],
    [{ asset: 'ETH', fiatAmount: 10, fiatCurrency: 'USD' }, 'fiatAmount'],
    [{ asset: 'ETH', fiatAmount: '10.001', fiatCurrency: 'USD' }, 'fiatAmount'],
    [{ asset: 'ETH', fiatAmount: '1.5', fiatCurrency: 'JPY' }, 'fiatAmount'],
    [{ asset: 'ETH', fiatAmount: '0.00', fiatCurrency: 'USD' }, 'fiatAmount'],
    [{ asset: 'ETH', fiatAmount: '-5', fiatCurrency: 'USD' }, 'fiatAmount'],
    [{ asset: 'ETH', fiatAmount: '1e3', fiatCurrency: 'USD' }, 'fiatAmount'],
    [{ asset: 'ETH', fiatAmount: '10', fiatCurrency: 'DOLLARS' }, 'fiatCurrency'],
    [{ asset: 'ETH', fiatAmount: '10', fiatCurrency: 'USD', wallet: '0xabc' }, 'wallet'],
  ])('answers 400 problem+json naming the bad field and writes nothing: %j', async (body, field) => {
    const before = await h.db.collection('crypto_quotes').countDocuments();
    const res = await h.as('quinn', 'POST', '/v1/crypto/quotes', body);
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(res.body.type).toBe('urn:keel:problem:validation');
    expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
    expect(await h.db.collection('crypto_quotes').countDocuments()).toBe(before);
  });

  it('answers 422 naming fiatCurrency when the feed has no price for the pair', async () => {
    const res = await h.as('quinn', 'POST', '/v1/crypto/quotes', {
      asset: 'USDC',
      fiatAmount: '10',
      fiatCurrency: 'CHF',
    });
    expect(res.status).toBe(422);
    expect(res.body.errors).toEqual([{ field: 'fiatCurrency', message: expect.stringContaining('USDC') }]);
  });

  it('opens one deposit per quote: someone else’s quote is 404, a used one 409, a bad id 400', async () => {
    const quote = (
      await h.as('erin', 'POST', '/v1/crypto/quotes', { asset: 'ETH', fiatAmount: '25.00', fiatCurrency: 'USD' })
    ).body;
    expect((await h.as('frank', 'POST', '/v1/crypto/deposits', { quoteId: quote.id })).status).toBe(404);
    const first = await h.as('erin', 'POST', '/v1/crypto/deposits', { quoteId: quote.id });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({
      quoteId: quote.id,
      asset: 'ETH',
      amount: quote.cryptoAmount,
      status: 'awaiting_payment',
      address: expect.stringMatching(/^0x[0-9a-fA-F]{40}$/),
    });
    const again = await h.as('erin', 'POST', '/v1/crypto/deposits', { quoteId: quote.id });
    expect(again.status).toBe(409);
    expect(again.body.detail).toContain(first.body.id);
    const bad = await h.as('erin', 'POST', '/v1/crypto/deposits', { quoteId: 'not-an-id' });
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].field).toBe('quoteId');
    expect(await h.db.collection('crypto_deposits').countDocuments({ quoteId: quote.id })).toBe(1);

    expect((await h.as('frank', 'GET', `/v1/crypto/deposits/${first.body.id}`)).status).toBe(404);
    expect((await h.as('erin', 'GET', `/v1/crypto/deposits/${first.body.id}`)).body).toMatchObject({
      id: first.body.id,
      status: 'awaiting_payment',
    });
    expect((await h.as('erin', 'GET', '/v1/crypto/deposits/zzz')).status).toBe(400);
    expect((await call(`${h.app.url}/v1/crypto/deposits`)).status).toBe(401);
  });

  it('replays a retried POST with the same Idempotency-Key instead of opening a second deposit', async () => {
    const quote = (
      await h.as('ivy', 'POST', '/v1/crypto/quotes', { asset: 'USDC', fiatAmount: '5', fiatCurrency: 'USD' })
    ).body;
    const headers = { ...(await bearer('ivy')), 'idempotency-key': 'deposit-ivy-1' };
    const a = await call(`${h.app.url}/v1/crypto/deposits`, { method: 'POST', headers, json: { quoteId: quote.id } });
    const b = await call(`${h.app.url}/v1/crypto/deposits`, { method: 'POST', headers, json: { quoteId: quote.id } });
    expect(a.status).toBe(201);
    expect(b.status).toBe(201);
    expect(b.headers.get('idempotent-replayed')).toBe('true');
    expect(b.body).toEqual(a.body);
    expect(await h.db.collection('crypto_deposits').countDocuments({ ownerId: 'ivy' })).toBe(1);
  });

  it('lists only the caller’s deposits, newest first, with an opaque cursor and a status filter', async () => {
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push((await h.openDeposit('gina', 'ETH', `${i + 1}.00`)).id);
    await h.openDeposit('hank', 'ETH');
    const page1 = await h.as('gina', 'GET', '/v1/crypto/deposits?limit=2');
    expect(page1.status).toBe(200);
    expect(page1.body.items.map((d: { id: string }) => d.id)).toEqual([ids[2], ids[1]]);
    expect(page1.body.nextCursor).toEqual(expect.any(String));
    const page2 = await h.as('gina', 'GET', `/v1/crypto/deposits?limit=2&cursor=${page1.body.nextCursor}`);
    expect(page2.body).toEqual({ items: [expect.objectContaining({ id: ids[0] })], nextCursor: null });
    expect((await h.as('gina', 'GET', '/v1/crypto/deposits?status=confirmed')).body.items).toEqual([]);
    expect((await h.as('gina', 'GET', '/v1/crypto/deposits?status=awaiting_payment')).body.items).toHaveLength(3);
    for (const query of ['limit=101', 'limit=0', 'cursor=bm9wZQ', 'status=paid']) {
      const res = await h.as('gina', 'GET', `/v1/crypto/deposits?${query}`);
      expect(res.status, query).toBe(400);
      expect(res.body.errors[0].field).toBe(query.split('=')[0]);
    }
  });

  it('documents every crypto route, its DTOs and problem answers in /docs', async () => {
    const doc = (await call(`${h.app.url}/docs/json`)).body;
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/v1/crypto/quotes', '/v1/crypto/deposits', '/v1/crypto/deposits/{id}']),
    );
    const quote = doc.paths['/v1/crypto/quotes'].post;
    expect(quote.responses['201'].content['application/json'].schema.$ref).toMatch(/QuoteDto/);
    for (const status of ['400', '401', '409', '422', '503']) expect(quote.responses[status]).toBeDefined();
    const deposit = doc.paths['/v1/crypto/deposits'].post;
    expect(deposit.responses['201'].content['application/json'].schema.$ref).toMatch(/DepositDto/);
    expect(deposit.responses['404'].content['application/problem+json']).toBeDefined();
    expect(doc.paths['/v1/crypto/deposits/{id}'].get.responses['404']).toBeDefined();
    expect(doc.components.schemas.CreateQuoteDto.required).toEqual(
      expect.arrayContaining(['asset', 'fiatAmount', 'fiatCurrency']),
    );
    expect(doc.components.schemas.DepositDto.properties.status.enum).toEqual([
      'awaiting_payment',
      'underpaid',
      'detected',
      'confirmed',
      'expired',
    ]);
  });
});
