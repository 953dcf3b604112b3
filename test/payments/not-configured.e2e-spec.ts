import { bearer } from '../support/auth/dev-tokens.js';
import { bootInProcess, type RunningApp } from '../support/in-process-app.js';
import { call } from './support/payments-app.js';

describe('payments without Stripe configured', () => {
  const apps: RunningApp[] = [];
  afterAll(async () => Promise.all(apps.map((a) => a.close())));
  const boot = async (suite: string, env: Record<string, string>) => {
    const app = await bootInProcess(suite, { LOG_LEVEL: 'fatal', ...env });
    apps.push(app);
    return app;
  };

  it('answers 503 problem+json naming both variables on every payments route, while keel runs on', async () => {
    const { url } = await boot('payments_unconfigured', {});
    const auth = await bearer('uma');
    const answers = await Promise.all([
      call(`${url}/v1/payments`, {
        method: 'POST',
        headers: auth,
        json: { amount: 1000, currency: 'usd', description: 'x' },
      }),
      call(`${url}/v1/payments`, { headers: auth }),
      call(`${url}/v1/payments/66b0c0ffee0000000000cafe`, { headers: auth }),
      call(`${url}/v1/payments/66b0c0ffee0000000000cafe/refunds`, { method: 'POST', headers: auth, json: {} }),
      call(`${url}/v1/webhooks/stripe`, {
        method: 'POST',
        headers: { 'stripe-signature': 't=1,v1=x' },
        json: { id: 'evt_1' },
      }),
    ]);
    for (const res of answers) {
      expect(res.status).toBe(503);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(res.body).toMatchObject({ type: 'urn:keel:problem:not-configured', status: 503 });
      expect(res.body.detail).toContain('STRIPE_SECRET_KEY');
      expect(res.body.detail).toContain('STRIPE_WEBHOOK_SECRET');
    }
    expect((await call(`${url}/health/ready`)).status).toBe(200);
    expect((await call(`${url}/docs/json`)).body.paths['/v1/payments']).toBeDefined();
  });

  it('names only what is missing', async () => {
    const { url } = await boot('payments_half_configured', { STRIPE_SECRET_KEY: 'sk_test_only' });
    const res = await call(`${url}/v1/payments`, { headers: await bearer('uma') });
    expect(res.status).toBe(503);
    expect(res.body.detail).toBe('This feature is not configured on the server: set STRIPE_WEBHOOK_SECRET.');
  });
});
