import { Types } from 'mongoose';
import { PaymentsHandlers } from '../../src/features/payments/payments.handlers.js';
import { bootPayments, waitFor, type PaymentsHarness } from './support/payments-app.js';

// The cron itself never fires during this suite: each tick is run by hand below. (Read when the module
// with the decorator loads, so it is set before the imports.)
vi.hoisted(() => {
  process.env.PAYMENTS_RECONCILE_CRON = '0 0 0 1 1 *';
});

const WAITING = 250;

/**
 * One reconciliation tick looks at a batch of the oldest unchecked items. Open payments waiting on their
 * customer (requires_payment_method) are re-read too, and there may be thousands of them: a payment whose
 * PaymentIntent was never created (its delivery dead-lettered) must not wait behind all of them.
 */
describe('payments: reconciliation puts keel’s own unfinished work first', () => {
  let h: PaymentsHarness;
  beforeAll(async () => {
    h = await bootPayments('payments_reconcile_priority', {
      EVENTS_ATTEMPTS: '2',
      PAYMENTS_RECONCILE_AFTER_MS: '1000',
    });
  }, 60_000);
  afterAll(async () => {
    delete process.env.PAYMENTS_RECONCILE_CRON;
    await h?.close();
  });

  it(`creates the intent of a dead-lettered payment in the first tick, with ${WAITING} older open payments waiting on their customers`, async () => {
    // Older open payments, checked an hour ago: each has its PaymentIntent, waiting for the customer.
    const stripe = h.stripe.client();
    const hourAgo = new Date(Date.now() - 3600_000);
    const waiting = [];
    for (let i = 0; i < WAITING; i++) {
      const _id = new Types.ObjectId();
      const intent = await stripe.paymentIntents.create({
        amount: 500,
        currency: 'usd',
        metadata: { keel_payment_id: _id.toHexString() },
      });
      waiting.push({
        _id,
        ownerId: 'patient',
        amount: 500,
        currency: 'usd',
        description: 'waiting for the customer',
        metadata: {},
        status: 'requires_payment_method',
        stripePaymentIntentId: intent.id,
        clientSecret: intent.client_secret,
        amountRefunded: 0,
        amountRefunding: 0,
        checkedAt: new Date(hourAgo.getTime() + i),
        history: [{ status: 'requires_payment_method', at: hourAgo, source: 'intent-created' }],
        createdAt: hourAgo,
        updatedAt: hourAgo,
      });
    }
    await h.db.collection('payments').insertMany(waiting);

    // A newer payment whose creation at Stripe failed on both bus attempts: dead-lettered, no intent.
    h.stripe.inject({ method: 'POST', path: /^\/v1\/payment_intents$/, status: 503, times: 2 });
    const created = await h.as('quinn', 'POST', '/v1/payments', {
      amount: 1234,
      currency: 'usd',
      description: 'Dead-lettered',
    });
    expect(created.status).toBe(202);
    const id = created.body.id as string;
    await waitFor(() => h.db.collection('events_dead_letters').findOne({ 'event.aggregateId': id }), {
      what: 'the intent delivery to be dead-lettered',
    });
    const before = await h.db.collection('payments').findOne({ _id: new Types.ObjectId(id) });
    expect(before).toMatchObject({ status: 'processing' });
    expect(before!.stripePaymentIntentId).toBeUndefined();
    await new Promise((r) => setTimeout(r, 1100)); // older than PAYMENTS_RECONCILE_AFTER_MS

    await h.app.app.get(PaymentsHandlers).findStuck({
      name: 'payments.reconcile',
      fireAt: new Date(),
      attempt: 1,
      signal: new AbortController().signal,
      holdsLease: () => true,
    });

    const claimed = await h.db.collection('payments').findOne({ _id: new Types.ObjectId(id) });
    expect(claimed!.checkedAt.getTime(), 'the tick claimed the dead-lettered payment').toBeGreaterThan(
      before!.checkedAt.getTime(),
    );
    const done = await h.payment('quinn', id, (p) => p.status === 'requires_payment_method');
    expect(done.stripePaymentIntentId).toMatch(/^pi_/);
    const creates = h.stripe
      .requestsTo('POST', /^\/v1\/payment_intents$/)
      .filter((r) => r.params.metadata?.keel_payment_id === id);
    expect(creates.map((c) => c.status)).toEqual([503, 503, 200]);
    expect(new Set(creates.map((c) => c.idempotencyKey))).toEqual(new Set([`keel-payment-${id}-intent`]));
    // The waiting payments still get their batch in the same tick (oldest first), not the next one.
    const rechecked = await h.db
      .collection('payments')
      .countDocuments({ ownerId: 'patient', checkedAt: { $gt: before!.checkedAt } });
    expect(rechecked).toBe(100);
  });
});
