import { bearer } from '../support/auth/dev-tokens.js';
import { spawnApp, type ChildApp } from '../support/child-app.js';
import { FakeStripe } from '../support/stripe/fake-stripe.js';
import { FAST_BUS, call, waitFor } from './support/payments-app.js';

/**
 * The reconciliation cron, in the built app as deployed (`node dist/main.js`): every second it looks for
 * payments stuck for over a second and asks Stripe about them.
 */
describe('payments: the reconciliation cron repairs what webhooks and retries missed', () => {
  let stripe: FakeStripe;
  let app: ChildApp;
  beforeAll(async () => {
    stripe = await FakeStripe.start();
    app = await spawnApp('payments_reconcile', {
      env: {
        ...FAST_BUS,
        LOG_LEVEL: 'info',
        ...stripe.env(),
        EVENTS_ATTEMPTS: '2',
        PAYMENTS_RECONCILE_CRON: '* * * * * *',
        PAYMENTS_RECONCILE_AFTER_MS: '1000',
      },
    });
    stripe.webhooks.endpoint = `${app.url}/v1/webhooks/stripe`;
  }, 60_000);
  afterAll(async () => {
    await app?.stop();
    await stripe?.stop();
  });

  const as = async (user: string, method: string, path: string, json?: unknown) =>
    call(`${app.url}${path}`, { method, headers: await bearer(user), ...(json !== undefined ? { json } : {}) });
  const payment = (user: string, id: string, until: (p: any) => boolean, what: string) =>
    waitFor(
      async () => {
        const res = await as(user, 'GET', `/v1/payments/${id}`);
        return res.status === 200 && until(res.body) ? res.body : undefined;
      },
      { what, timeoutMs: 20_000 },
    );

  it('finds a payment whose succeeded webhook never came and reads the outcome from Stripe', async () => {
    const created = await as('vera', 'POST', '/v1/payments', {
      amount: 4200,
      currency: 'usd',
      description: 'Lost webhook',
    });
    expect(created.status).toBe(202);
    const open = await payment('vera', created.body.id, (p) => p.status === 'requires_payment_method', 'the intent');

    stripe.webhooks.mode = 'drop';
    await stripe.client().paymentIntents.confirm(open.stripePaymentIntentId, { payment_method: 'pm_card_visa' });
    const paid = await payment('vera', open.id, (p) => p.status === 'succeeded', 'reconciliation to mark it succeeded');
    expect(paid.stripePaymentIntentId).toBe(open.stripePaymentIntentId);
    expect(
      stripe.webhooks.dropped.some(
        (e) => e.type === 'payment_intent.succeeded' && e.data.object.id === open.stripePaymentIntentId,
      ),
    ).toBe(true);
    expect(stripe.webhooks.deliveries.filter((d) => d.type === 'payment_intent.succeeded')).toHaveLength(0);
    expect(
      stripe.requestsTo('GET', new RegExp(`/v1/payment_intents/${open.stripePaymentIntentId}$`)).length,
    ).toBeGreaterThan(0);
  });

  it('creates the intent of a payment whose creation was dead-lettered while Stripe was down, under the same key', async () => {
    stripe.webhooks.mode = 'deliver';
    // Both bus attempts fail (EVENTS_ATTEMPTS=2); the delivery goes to the dead letters.
    stripe.inject({ method: 'POST', path: /^\/v1\/payment_intents$/, status: 503, times: 2 });
    const created = await as('walt', 'POST', '/v1/payments', {
      amount: 990,
      currency: 'usd',
      description: 'Stripe outage',
    });
    const id = created.body.id as string;
    const open = await payment(
      'walt',
      id,
      (p) => p.status === 'requires_payment_method',
      'reconciliation to create the intent',
    );
    const creates = stripe
      .requestsTo('POST', /^\/v1\/payment_intents$/)
      .filter((r) => r.params.metadata?.keel_payment_id === id);
    expect(creates.map((c) => c.status)).toEqual([503, 503, 200]);
    expect(new Set(creates.map((c) => c.idempotencyKey)).size).toBe(1);
    expect(open.clientSecret).toMatch(/_secret_/);
    const dead = await call(`${app.url}/admin/dead-letters?type=payments.intent.requested`, {
      headers: await bearer('ops', { roles: ['admin'] }),
    });
    expect(dead.body.items).toEqual([expect.objectContaining({ subscriber: 'payments.stripe', attempts: 2 })]);
    expect(dead.body.items[0].lastError).toMatch(/503/);
  });
});
