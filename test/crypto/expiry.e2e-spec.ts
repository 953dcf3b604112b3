import { parseEther, parseUnits } from 'viem';
import { sleep } from '../events/support/wait.js';
import { bootCrypto, type CryptoHarness } from './support/crypto-app.js';

/**
 * Deadlines with short TTLs (quotes 5 s, deposits 8 s). A deposit expires only once the chain has settled
 * (CRYPTO_CONFIRMATIONS blocks) past its deadline, so a payment mined in time is never expired by a slow
 * follower; a payment in a block stamped after the deadline is recorded as late and not counted.
 */
describe('crypto deadlines: expired quotes and deposits, late payments', () => {
  let h: CryptoHarness;
  beforeAll(
    async () => (h = await bootCrypto('crypto_expiry', { CRYPTO_QUOTE_TTL_MS: '5000', CRYPTO_DEPOSIT_TTL_MS: '8000' })),
    120_000,
  );
  afterAll(async () => h?.close());

  const untilPast = async (iso: string) => sleep(Math.max(0, Date.parse(iso) - Date.now()) + 1100);

  it('refuses a deposit for an expired quote with 422 and writes nothing', async () => {
    const quote = (
      await h.as('olga', 'POST', '/v1/crypto/quotes', { asset: 'ETH', fiatAmount: '10', fiatCurrency: 'USD' })
    ).body;
    await untilPast(quote.expiresAt);
    const res = await h.as('olga', 'POST', '/v1/crypto/deposits', { quoteId: quote.id });
    expect(res.status).toBe(422);
    expect(res.body).toMatchObject({ type: 'urn:keel:problem:business-rule', title: 'Quote expired' });
    expect(await h.db.collection('crypto_deposits').countDocuments({ ownerId: 'olga' })).toBe(0);
  });

  it('expires unpaid and underpaid deposits once the chain settles past the deadline; paid ones confirm; late payments are not counted', async () => {
    const unpaid = await h.openDeposit('pia', 'ETH', '10.00');
    const under = await h.openDeposit('pia', 'USDC', '10.00');
    const paid = await h.openDeposit('pia', 'ETH', '12.00');
    const late = await h.openDeposit('pia', 'ETH', '14.00');
    const underUnits = parseUnits(under.amount, 6) - 1n;
    await h.chain.sendUsdc(under.address, underUnits);
    await h.chain.sendEth(paid.address, parseEther(paid.amount));
    await h.follow();
    expect((await h.deposit('pia', under.id)).status).toBe('underpaid');
    expect((await h.deposit('pia', paid.id)).status).toBe('detected');

    await untilPast(late.expiresAt);
    const lateTx = await h.chain.sendEth(late.address, parseEther(late.amount));
    await h.follow();
    // The deadline passed on the wall clock, but blocks from before it are not settled yet: nothing expires.
    expect((await h.deposit('pia', unpaid.id)).status).toBe('awaiting_payment');
    expect(await h.deposit('pia', late.id)).toMatchObject({
      status: 'awaiting_payment',
      received: '0',
      transfers: [{ txHash: lateTx.hash, late: true }],
    });

    await h.chain.node.mine(3);
    await h.follow();
    expect(await h.deposit('pia', unpaid.id)).toMatchObject({
      status: 'expired',
      received: '0',
      payment: 'none',
      expiredAt: expect.any(String),
    });
    expect(await h.deposit('pia', under.id)).toMatchObject({
      status: 'expired',
      payment: 'under',
      received: fmt6(underUnits),
    });
    expect(await h.deposit('pia', paid.id)).toMatchObject({ status: 'confirmed', payment: 'exact' });
    expect(await h.deposit('pia', late.id)).toMatchObject({
      status: 'expired',
      received: '0',
      transfers: [{ late: true }],
    });

    const [underExpired] = await h.events({ type: 'crypto.deposit.expired', aggregateId: under.id });
    expect(underExpired!.payload).toMatchObject({ received: underUnits.toString(), shortfall: '1', payment: 'under' });
    const [unpaidExpired] = await h.events({ type: 'crypto.deposit.expired', aggregateId: unpaid.id });
    expect(unpaidExpired!.payload).toMatchObject({ received: '0', shortfall: parseEther(unpaid.amount).toString() });
    await h.events({ type: 'crypto.deposit.expired', aggregateId: late.id });
    await h.events({ type: 'crypto.deposit.confirmed', aggregateId: paid.id });
    expect(
      await h.db
        .collection('test_crypto_events')
        .countDocuments({ aggregateId: late.id, type: 'crypto.deposit.detected' }),
    ).toBe(0);

    // Expired is final: a payment now is not watched any more.
    await h.chain.sendEth(unpaid.address, parseEther(unpaid.amount));
    await h.follow();
    expect(await h.deposit('pia', unpaid.id)).toMatchObject({ status: 'expired', transfers: [] });
    const list = (await h.as('pia', 'GET', '/v1/crypto/deposits?status=expired')).body.items.map(
      (d: { id: string }) => d.id,
    );
    expect(list.sort()).toEqual([unpaid.id, under.id, late.id].sort());
  });
});

const fmt6 = (units: bigint) => {
  const s = units.toString().padStart(7, '0');
  return `${s.slice(0, -6)}.${s.slice(-6)}`.replace(/\.?0+$/, '');
};
