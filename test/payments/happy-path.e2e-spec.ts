import { bootPayments, waitFor, type PaymentsHarness } from './support/payments-app.js';

describe('payments: the happy path, from POST to payments.payment.succeeded', () => {
  let h: PaymentsHarness;
  beforeAll(async () => (h = await bootPayments('payments_happy')));
  afterAll(async () => h?.close());

  it('accepts, creates the PaymentIntent idempotently, and succeeds once the customer confirms', async () => {
    const created = await h.as('alice', 'POST', '/v1/payments', {
      amount: 1999,
      currency: 'USD',
      description: 'Order #1',
      metadata: { orderId: '1' },
    });
    expect(created.status).toBe(202);
    expect(created.body).toEqual({ id: expect.stringMatching(/^[0-9a-f]{24}$/), status: 'processing' });
    const id = created.body.id as string;

    const open = await h.payment('alice', id, (p) => p.status === 'requires_payment_method');
    expect(open).toMatchObject({
      amount: 1999,
      currency: 'usd',
      description: 'Order #1',
      metadata: { orderId: '1' },
      amountRefunded: 0,
    });
    expect(open.clientSecret).toMatch(/^pi_.+_secret_/);

    const creates = h.stripe.requestsTo('POST', /^\/v1\/payment_intents$/);
    expect(creates).toHaveLength(1);
    expect(creates[0]!.idempotencyKey).toBe(`keel-payment-${id}-intent`);
    expect(creates[0]!.params).toMatchObject({
      amount: '1999',
      currency: 'usd',
      metadata: { orderId: '1', keel_payment_id: id },
    });

    // The customer confirms in the browser (Stripe.js); Stripe then sends payment_intent.succeeded.
    await h.stripe.client().paymentIntents.confirm(open.stripePaymentIntentId, { payment_method: 'pm_card_visa' });
    const paid = await h.payment('alice', id, (p) => p.status === 'succeeded');
    expect(paid.stripePaymentIntentId).toBe(open.stripePaymentIntentId);

    const events = await waitFor(async () => {
      const found = await h.recorded({ type: 'payments.payment.succeeded', aggregateId: id });
      return found.length > 0 ? found : undefined;
    });
    expect(events).toHaveLength(1);
    expect(events[0]!.payload).toEqual({
      paymentId: id,
      ownerId: 'alice',
      amount: 1999,
      currency: 'usd',
      stripePaymentIntentId: open.stripePaymentIntentId,
    });
  });
});
