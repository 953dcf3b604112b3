import { bootPayments, call, waitFor, type PaymentsHarness } from './support/payments-app.js';

/** Stripe's deliveries as they really come: forged, late, twice, out of order, or about someone else's intent. */
describe('payments: the Stripe webhook endpoint', () => {
  let h: PaymentsHarness;
  beforeAll(async () => (h = await bootPayments('payments_webhooks')));
  afterAll(async () => h?.close());
  afterEach(() => {
    h.stripe.webhooks.mode = 'deliver';
  });

  const stored = () => h.db.collection('stripe_events');
  const open = async (user: string) => {
    const res = await h.as(user, 'POST', '/v1/payments', {
      amount: 5000,
      currency: 'usd',
      description: 'Webhook test',
    });
    expect(res.status).toBe(202);
    return h.payment(user, res.body.id, (p) => p.status === 'requires_payment_method');
  };
  const heldFor = (intentId: string) =>
    h.stripe.webhooks.held.filter((e) => e.data.object.id === intentId || e.data.object.payment_intent === intentId);

  it('answers 400 to a bad signature and stores nothing', async () => {
    const payment = await open('hana');
    h.stripe.webhooks.mode = 'hold';
    await h.stripe.client().paymentIntents.confirm(payment.stripePaymentIntentId, { payment_method: 'pm_card_visa' });
    const [event] = heldFor(payment.stripePaymentIntentId).filter((e) => e.type === 'payment_intent.succeeded');
    const before = await stored().countDocuments();

    const forged = await h.stripe.webhooks.send(event!, { secret: 'whsec_not_the_endpoint_secret' });
    const stale = await h.stripe.webhooks.send(event!, { timestamp: Math.floor(Date.now() / 1000) - 3600 });
    const altered = await h.stripe.webhooks.send(event!, {
      payload: JSON.stringify({ ...event, data: { object: { ...event!.data.object, amount: 1 } } }),
      signedPayload: JSON.stringify(event),
    });
    const unsigned = await call(h.stripe.webhooks.endpoint!, { method: 'POST', json: event });
    for (const res of [forged, stale, altered]) expect(res.status).toBe(400);
    expect(unsigned.status).toBe(400);
    const problem = JSON.parse(forged.body);
    expect(problem).toMatchObject({
      status: 400,
      type: 'urn:keel:problem:validation',
      errors: [{ field: 'Stripe-Signature' }],
    });
    expect(JSON.parse(stale.body).errors[0].message).toMatch(/tolerance/i);
    expect(unsigned.body.errors[0]).toMatchObject({ field: 'Stripe-Signature' });
    expect(await stored().countDocuments()).toBe(before);
    await new Promise((r) => setTimeout(r, 300));
    expect((await h.payment('hana', payment.id)).status).toBe('requires_payment_method');

    // The genuine delivery still goes through afterwards.
    expect((await h.stripe.webhooks.send(event!)).status).toBe(200);
    await h.payment('hana', payment.id, (p) => p.status === 'succeeded');
    h.stripe.webhooks.held.length = 0;
  });

  it('stores a duplicate delivery once and changes the payment once', async () => {
    const payment = await open('hana');
    h.stripe.webhooks.mode = 'hold';
    await h.stripe.client().paymentIntents.confirm(payment.stripePaymentIntentId, { payment_method: 'pm_card_visa' });
    const [event] = heldFor(payment.stripePaymentIntentId).filter((e) => e.type === 'payment_intent.succeeded');
    h.stripe.webhooks.held.length = 0;

    // Twice at once, then once more later, each with a fresh signature as Stripe's retries have.
    const answers = await Promise.all([h.stripe.webhooks.send(event!), h.stripe.webhooks.send(event!)]);
    await h.payment('hana', payment.id, (p) => p.status === 'succeeded');
    answers.push(await h.stripe.webhooks.send(event!));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
    expect(answers.map((a) => JSON.parse(a.body).duplicate).sort()).toEqual([false, true, true]);
    expect(await stored().countDocuments({ _id: event!.id as never })).toBe(1);

    await waitFor(async () => (await h.recorded({ aggregateId: payment.id })).length > 0);
    await new Promise((r) => setTimeout(r, 500));
    const doc = await h.db
      .collection('payments')
      .findOne({ _id: new (await import('mongoose')).Types.ObjectId(payment.id) as never });
    expect(doc!.history.map((t: { status: string }) => t.status)).toEqual([
      'processing',
      'requires_payment_method',
      'succeeded',
    ]);
    expect((await h.recorded({ aggregateId: payment.id })).map((e) => e.type)).toEqual(['payments.payment.succeeded']);
  });

  it('never moves backwards: a stale failure is checked with Stripe, which already says succeeded', async () => {
    const payment = await open('ivan');
    h.stripe.webhooks.mode = 'hold';
    const customer = h.stripe.client();
    // First attempt declined, second succeeds: Stripe sends payment_failed, then succeeded.
    await expect(
      customer.paymentIntents.confirm(payment.stripePaymentIntentId, { payment_method: 'pm_card_chargeDeclined' }),
    ).rejects.toThrow(/declined/);
    await customer.paymentIntents.confirm(payment.stripePaymentIntentId, { payment_method: 'pm_card_visa' });
    const events = heldFor(payment.stripePaymentIntentId).filter((e) => e.type.startsWith('payment_intent.'));
    expect(events.map((e) => e.type)).toEqual(['payment_intent.payment_failed', 'payment_intent.succeeded']);
    const retrievals = () =>
      h.stripe.requestsTo('GET', new RegExp(`/v1/payment_intents/${payment.stripePaymentIntentId}$`)).length;
    const before = retrievals();

    // Only the (stale) failure arrives: keel asks Stripe, and moves straight to succeeded.
    h.stripe.webhooks.release((e) => e.type === 'payment_intent.payment_failed');
    await h.payment('ivan', payment.id, (p) => p.status === 'succeeded');
    expect(retrievals()).toBe(before + 1);

    // The success arriving late changes nothing more.
    h.stripe.webhooks.release();
    await h.stripe.webhooks.idle();
    await waitFor(
      async () =>
        (await stored().countDocuments({ _id: events[1]!.id as never, processedAt: { $exists: true } })) === 1,
    );
    expect((await h.payment('ivan', payment.id)).status).toBe('succeeded');
    await new Promise((r) => setTimeout(r, 300));
    expect((await h.recorded({ aggregateId: payment.id })).map((e) => e.type)).toEqual(['payments.payment.succeeded']);
  });

  it('ignores a late failure once succeeded, whatever order the bus runs them in', async () => {
    const payment = await open('ivan');
    h.stripe.webhooks.mode = 'hold';
    const customer = h.stripe.client();
    await expect(
      customer.paymentIntents.confirm(payment.stripePaymentIntentId, { payment_method: 'pm_card_chargeDeclined' }),
    ).rejects.toThrow();
    await customer.paymentIntents.confirm(payment.stripePaymentIntentId, { payment_method: 'pm_card_visa' });
    h.stripe.webhooks.release(() => true, 'desc');
    await h.stripe.webhooks.idle();
    await h.payment('ivan', payment.id, (p) => p.status === 'succeeded');
    await new Promise((r) => setTimeout(r, 500));
    expect((await h.payment('ivan', payment.id)).status).toBe('succeeded');
    expect((await h.recorded({ aggregateId: payment.id })).map((e) => e.type)).toEqual(['payments.payment.succeeded']);
  });

  it('records the failure, then the success, when they arrive in order', async () => {
    const payment = await open('ivan');
    const customer = h.stripe.client();
    await expect(
      customer.paymentIntents.confirm(payment.stripePaymentIntentId, { payment_method: 'pm_card_chargeDeclined' }),
    ).rejects.toThrow();
    await h.payment('ivan', payment.id, (p) => p.status === 'failed');
    await customer.paymentIntents.confirm(payment.stripePaymentIntentId, { payment_method: 'pm_card_visa' });
    await h.payment('ivan', payment.id, (p) => p.status === 'succeeded');
    const types = await waitFor(async () => {
      const found = (await h.recorded({ aggregateId: payment.id })).map((e) => e.type);
      return found.length === 2 ? found : undefined;
    });
    expect(types.sort()).toEqual(['payments.payment.failed', 'payments.payment.succeeded']);
  });

  it('acknowledges events about intents keel did not create, and changes nothing', async () => {
    const foreign = await h.stripe.client().paymentIntents.create({ amount: 700, currency: 'usd' });
    await h.stripe.client().paymentIntents.cancel(foreign.id);
    await h.stripe.webhooks.idle();
    const canceled = h.stripe.events.find(
      (e) => e.type === 'payment_intent.canceled' && e.data.object.id === foreign.id,
    )!;
    expect(h.stripe.webhooks.deliveries.filter((d) => d.eventId === canceled.id).map((d) => d.status)).toEqual([200]);
    await waitFor(
      async () => (await stored().countDocuments({ _id: canceled.id as never, processedAt: { $exists: true } })) === 1,
    );
    expect(await h.db.collection('payments').countDocuments({ stripePaymentIntentId: foreign.id })).toBe(0);
  });
});
