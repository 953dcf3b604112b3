import { bootPayments, waitFor, type PaymentsHarness } from './support/payments-app.js';

const CREATE = /^\/v1\/payment_intents$/;

/** Stripe failing in the ways it does: the bus retries what may recover, and never what cannot. */
describe('payments: Stripe errors and outages', () => {
  let h: PaymentsHarness;
  // A short SDK timeout, so that a slow Stripe answer is a timeout well within the test.
  beforeAll(async () => (h = await bootPayments('payments_faults', { STRIPE_TIMEOUT_MS: '400' })));
  afterAll(async () => h?.close());

  const start = async (user: string, body: Record<string, unknown> = {}) => {
    const res = await h.as(user, 'POST', '/v1/payments', {
      amount: 2500,
      currency: 'eur',
      description: 'Fault test',
      ...body,
    });
    expect(res.status).toBe(202);
    return res.body.id as string;
  };
  const createsOf = (id: string) =>
    h.stripe.requestsTo('POST', CREATE).filter((r) => r.params.metadata?.keel_payment_id === id);
  const intentsOf = (id: string) =>
    [...h.stripe.ledger.intents.values()].filter((pi) => pi.metadata.keel_payment_id === id);

  it('retries while Stripe answers 500, with the same idempotency key, and completes once Stripe is back', async () => {
    h.stripe.inject({ method: 'POST', path: CREATE, status: 500, times: 2 });
    const id = await start('fiona');
    const payment = await h.payment('fiona', id, (p) => p.status === 'requires_payment_method');
    const attempts = createsOf(id);
    expect(attempts.map((a) => a.status)).toEqual([500, 500, 200]);
    expect(new Set(attempts.map((a) => a.idempotencyKey))).toEqual(new Set([`keel-payment-${id}-intent`]));
    expect(intentsOf(id)).toHaveLength(1);
    expect(payment.stripePaymentIntentId).toBe(intentsOf(id)[0]!.id);
  });

  it('retries after a timeout and gets the intent Stripe already made, not a second one', async () => {
    // Stripe creates the intent but its answer arrives after the SDK gave up.
    h.stripe.inject({ method: 'POST', path: CREATE, delayMs: 1500, times: 1 });
    const id = await start('fiona');
    const payment = await h.payment('fiona', id, (p) => p.status === 'requires_payment_method');
    const attempts = createsOf(id);
    expect(attempts.length).toBeGreaterThanOrEqual(2);
    expect(attempts.at(-1)!.replayed).toBe(true);
    expect(intentsOf(id)).toHaveLength(1);
    expect(payment.stripePaymentIntentId).toBe(intentsOf(id)[0]!.id);
  });

  it('fails a declined card (402) at once: one call, no retry, no dead letter, one failed event', async () => {
    const id = await start('gus', { paymentMethod: 'pm_card_chargeDeclined' });
    const failed = await h.payment('gus', id, (p) => p.status === 'failed');
    expect(failed.failure).toEqual({ code: 'generic_decline', message: 'Your card was declined.' });
    expect(failed.stripePaymentIntentId).toMatch(/^pi_/);
    const events = await waitFor(async () => {
      const found = await h.recorded({ aggregateId: id });
      return found.length > 0 ? found : undefined;
    });
    // Give a wrongly scheduled retry time to show itself before counting.
    await new Promise((r) => setTimeout(r, 1000));
    expect(createsOf(id)).toHaveLength(1);
    expect(createsOf(id)[0]!.status).toBe(402);
    expect(events.map((e) => e.type)).toEqual(['payments.payment.failed']);
    expect(events[0]!.payload).toMatchObject({
      paymentId: id,
      ownerId: 'gus',
      status: 'failed',
      reason: 'generic_decline',
    });
    expect(await h.db.collection('events_dead_letters').countDocuments({ 'event.aggregateId': id })).toBe(0);
  });

  it('confirms at once with a paymentMethod and succeeds from the create answer', async () => {
    const id = await start('gus', { paymentMethod: 'pm_card_visa' });
    await h.payment('gus', id, (p) => p.status === 'succeeded');
    const events = await waitFor(async () => {
      const found = await h.recorded({ aggregateId: id, type: 'payments.payment.succeeded' });
      return found.length > 0 ? found : undefined;
    });
    await h.stripe.webhooks.idle();
    expect(events).toHaveLength(1);
    expect(createsOf(id)[0]!.params).toMatchObject({ confirm: 'true', payment_method: 'pm_card_visa' });
  });

  it('fails a payment Stripe refuses (400 invalid currency) without retrying', async () => {
    const id = await start('gus', { currency: 'xyz' });
    const failed = await h.payment('gus', id, (p) => p.status === 'failed');
    expect(failed.failure.code).toBe('parameter_invalid');
    await new Promise((r) => setTimeout(r, 500));
    expect(createsOf(id)).toHaveLength(1);
  });
});
