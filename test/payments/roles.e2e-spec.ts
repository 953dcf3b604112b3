import { EmbeddedMongoServer } from '../../src/platform/database/embedded/index.js';
import { bearer } from '../support/auth/dev-tokens.js';
import { spawnApp, type ChildApp } from '../support/child-app.js';
import { isolate } from '../support/isolation.js';
import { FakeStripe } from '../support/stripe/fake-stripe.js';
import { FAST_BUS, call, waitFor } from './support/payments-app.js';

/**
 * The deployed shape: an `api` process that only accepts (202) and a `worker` process that talks to
 * Stripe, sharing one MongoDB and one Redis. Accepted payments wait, durably, for a worker.
 */
describe('payments across roles: api accepts, worker calls Stripe', () => {
  let mongo: EmbeddedMongoServer | undefined;
  let stripe: FakeStripe;
  let api: ChildApp;
  let worker: ChildApp | undefined;
  let env: Record<string, string>;

  beforeAll(async () => {
    stripe = await FakeStripe.start();
    if (!process.env.MONGO_URL)
      mongo = await EmbeddedMongoServer.start({ logger: { warn: () => undefined, error: (m) => console.error(m) } });
    env = {
      ...FAST_BUS,
      LOG_LEVEL: 'info',
      ...isolate('payments_roles').env,
      ...stripe.env(),
      MONGO_URL: process.env.MONGO_URL ?? mongo!.uri(),
    };
    api = await spawnApp('payments_roles', { role: 'api', env, timeoutMs: 60_000 });
    stripe.webhooks.endpoint = `${api.url}/v1/webhooks/stripe`;
  }, 90_000);
  afterAll(async () => {
    await Promise.all([api, worker].filter(Boolean).map((a) => a!.stop('SIGKILL')));
    await stripe?.stop();
    await mongo?.stop();
  });

  const as = async (method: string, path: string, json?: unknown) =>
    call(`${api.url}${path}`, { method, headers: await bearer('xena'), ...(json !== undefined ? { json } : {}) });
  const until = (id: string, status: string) =>
    waitFor(
      async () => {
        const res = await as('GET', `/v1/payments/${id}`);
        return res.body.status === status ? res.body : undefined;
      },
      { what: `payment ${id} to be ${status}`, timeoutMs: 30_000 },
    );

  it('keeps an accepted payment until a worker starts, then completes it end to end', async () => {
    const created = await as('POST', '/v1/payments', { amount: 3100, currency: 'usd', description: 'Roles' });
    expect(created.status).toBe(202);
    await new Promise((r) => setTimeout(r, 1500));
    expect((await as('GET', `/v1/payments/${created.body.id}`)).body.status).toBe('processing');
    expect(stripe.requests).toHaveLength(0); // the api role never calls Stripe

    worker = await spawnApp('payments_roles', { role: 'worker', env, timeoutMs: 60_000 });
    const open = await until(created.body.id, 'requires_payment_method');
    await stripe.client().paymentIntents.confirm(open.stripePaymentIntentId, { payment_method: 'pm_card_visa' });
    await until(created.body.id, 'succeeded');
    // The webhook reached the api process, which stored it; the worker applied it.
    expect(
      stripe.webhooks.deliveries.filter((d) => d.type === 'payment_intent.succeeded').map((d) => d.status),
    ).toEqual([200]);
    expect((await call(`${worker.url}/v1/payments`, { headers: await bearer('xena') })).status).toBe(404);
  });
});
