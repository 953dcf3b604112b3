import { IdempotencyStore } from '../../src/platform/http/idempotency/idempotency.store.js';
import { bearer } from '../support/auth/dev-tokens.js';
import { bootPayments, call, type PaymentsHarness } from './support/payments-app.js';

/**
 * A replica that dies after its transaction committed and before it recorded its response leaves only
 * what the transaction stored with the Idempotency-Key (`committed`): the client's retry must get the
 * same answer the first attempt would have given, not some other representation of it.
 */
describe('payments: the retry after a commit whose response was never recorded', () => {
  let h: PaymentsHarness;
  beforeAll(async () => {
    h = await bootPayments('payments_committed_replay', { IDEMPOTENCY_LOCK_S: '1' });
  }, 60_000);
  afterAll(async () => h?.close());

  it('replays 202 with the accepted payment as JSON, and makes no second payment', async () => {
    const store = h.app.app.get(IdempotencyStore, { strict: false });
    const complete = store.complete.bind(store);
    // As if the process died right after the commit: the response is never recorded.
    store.complete = async () => undefined;
    const post = async () =>
      call(`${h.app.url}/v1/payments`, {
        method: 'POST',
        headers: { ...(await bearer('rita')), 'idempotency-key': 'committed-replay-1' },
        json: { amount: 700, currency: 'usd', description: 'Committed, not recorded' },
      });
    let first: Awaited<ReturnType<typeof post>>;
    try {
      first = await post();
    } finally {
      store.complete = complete;
    }
    expect(first.status).toBe(202);
    expect(first.body).toEqual({ id: expect.stringMatching(/^[0-9a-f]{24}$/), status: 'processing' });

    await new Promise((r) => setTimeout(r, 1100)); // the dead holder's lease (IDEMPOTENCY_LOCK_S) ends
    const retried = await post();
    expect(retried.status).toBe(202);
    expect(retried.headers.get('content-type')).toMatch(/^application\/json/);
    expect(retried.body).toEqual(first.body);
    expect(await h.db.collection('payments').countDocuments({ ownerId: 'rita' })).toBe(1);
  });
});
