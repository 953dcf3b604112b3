import { bootPayments, waitFor, type PaymentsHarness } from './support/payments-app.js';

describe('payments: refunds', () => {
  let h: PaymentsHarness;
  beforeAll(async () => (h = await bootPayments('payments_refunds')));
  afterAll(async () => h?.close());

  const paid = async (user: string, amount: number) => {
    const res = await h.as(user, 'POST', '/v1/payments', {
      amount,
      currency: 'usd',
      description: 'Refund test',
      paymentMethod: 'pm_card_visa',
    });
    expect(res.status).toBe(202);
    return h.payment(user, res.body.id, (p) => p.status === 'succeeded');
  };
  const refundEvents = async (paymentId: string, count: number) =>
    waitFor(async () => {
      const found = await h.recorded({ aggregateId: paymentId, type: 'payments.payment.refunded' });
      return found.length === count ? found : undefined;
    });

  it('refunds partly, then the rest, through Stripe with an idempotency key per refund', async () => {
    const payment = await paid('jane', 3000);
    const first = await h.as('jane', 'POST', `/v1/payments/${payment.id}/refunds`, { amount: 1000 });
    expect(first.status).toBe(202);
    expect(first.body).toMatchObject({ paymentId: payment.id, amount: 1000, currency: 'usd', status: 'requested' });
    await h.payment('jane', payment.id, (p) => p.amountRefunded === 1000 && p.status === 'succeeded');

    const rest = await h.as('jane', 'POST', `/v1/payments/${payment.id}/refunds`, {});
    expect(rest.status).toBe(202);
    expect(rest.body.amount).toBe(2000);
    await h.payment('jane', payment.id, (p) => p.status === 'refunded' && p.amountRefunded === 3000);

    const calls = h.stripe
      .requestsTo('POST', /^\/v1\/refunds$/)
      .filter((r) => r.params.payment_intent === payment.stripePaymentIntentId);
    expect(calls.map((c) => [c.params.amount, c.idempotencyKey])).toEqual([
      ['1000', `keel-refund-${first.body.id}`],
      ['2000', `keel-refund-${rest.body.id}`],
    ]);
    const list = await h.as('jane', 'GET', `/v1/payments/${payment.id}/refunds`);
    expect(list.body.items.map((r: any) => [r.amount, r.status])).toEqual([
      [2000, 'succeeded'],
      [1000, 'succeeded'],
    ]);
    const events = await refundEvents(payment.id, 2);
    const payloads = events.map((e) => e.payload).sort((a, b) => a.amountRefunded - b.amountRefunded);
    expect(payloads).toEqual([
      expect.objectContaining({
        refundId: first.body.id,
        amount: 1000,
        amountRefunded: 1000,
        fullyRefunded: false,
        ownerId: 'jane',
      }),
      expect.objectContaining({ refundId: rest.body.id, amount: 2000, amountRefunded: 3000, fullyRefunded: true }),
    ]);
    // charge.refunded webhooks arrived for both refunds too; they changed nothing more.
    await h.stripe.webhooks.idle();
    await new Promise((r) => setTimeout(r, 500));
    expect(await h.recorded({ aggregateId: payment.id, type: 'payments.payment.refunded' })).toHaveLength(2);
  });

  it('answers 422 to a refund beyond the refundable amount, and writes nothing', async () => {
    const payment = await paid('jane', 1500);
    const tooMuch = await h.as('jane', 'POST', `/v1/payments/${payment.id}/refunds`, { amount: 1501 });
    expect(tooMuch.status).toBe(422);
    expect(tooMuch.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(tooMuch.body).toMatchObject({
      type: 'urn:keel:problem:business-rule',
      title: 'Refund exceeds the refundable amount',
    });
    expect(tooMuch.body.detail).toMatch(/At most 1500/);

    // Reserved amounts count: while 1000 is being refunded, only 500 more can be.
    expect((await h.as('jane', 'POST', `/v1/payments/${payment.id}/refunds`, { amount: 1000 })).status).toBe(202);
    expect((await h.as('jane', 'POST', `/v1/payments/${payment.id}/refunds`, { amount: 501 })).status).toBe(422);
    await h.payment('jane', payment.id, (p) => p.amountRefunded === 1000);
    expect((await h.as('jane', 'POST', `/v1/payments/${payment.id}/refunds`, { amount: 501 })).status).toBe(422);
    expect(await h.db.collection('payment_refunds').countDocuments({ paymentId: payment.id })).toBe(1);
    expect(
      h.stripe
        .requestsTo('POST', /^\/v1\/refunds$/)
        .filter((r) => r.params.payment_intent === payment.stripePaymentIntentId),
    ).toHaveLength(1);
  });

  it('answers 422 for a payment that has not succeeded, 400 for a bad amount', async () => {
    const res = await h.as('jane', 'POST', '/v1/payments', { amount: 900, currency: 'usd', description: 'Unpaid' });
    const open = await h.payment('jane', res.body.id, (p) => p.status === 'requires_payment_method');
    const refund = await h.as('jane', 'POST', `/v1/payments/${open.id}/refunds`, {});
    expect(refund.status).toBe(422);
    expect(refund.body.detail).toMatch(/requires_payment_method/);
    const bad = await h.as('jane', 'POST', `/v1/payments/${open.id}/refunds`, { amount: -5 });
    expect(bad.status).toBe(400);
    expect(bad.body.errors).toEqual([expect.objectContaining({ field: 'amount' })]);
  });

  it('counts a refund made outside keel (the Dashboard) when its charge.refunded webhook comes', async () => {
    const payment = await paid('kim', 2000);
    await h.stripe.client().refunds.create({ payment_intent: payment.stripePaymentIntentId, amount: 2000 });
    await h.payment('kim', payment.id, (p) => p.status === 'refunded' && p.amountRefunded === 2000);
    const [event] = await refundEvents(payment.id, 1);
    expect(event!.payload).toMatchObject({
      amount: 2000,
      amountRefunded: 2000,
      fullyRefunded: true,
      stripeRefundId: expect.stringMatching(/^re_/),
    });
    const refunds = (await h.as('kim', 'GET', `/v1/payments/${payment.id}/refunds`)).body.items;
    expect(refunds).toEqual([expect.objectContaining({ amount: 2000, status: 'succeeded' })]);
    expect((await h.as('kim', 'POST', `/v1/payments/${payment.id}/refunds`, {})).status).toBe(422);
  });

  it("refuses (404) a refund of another user's payment", async () => {
    const payment = await paid('jane', 800);
    const res = await h.as('mallory', 'POST', `/v1/payments/${payment.id}/refunds`, {});
    expect(res.status).toBe(404);
    expect((await h.payment('jane', payment.id)).amountRefunded).toBe(0);
  });
});
