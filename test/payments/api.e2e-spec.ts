import { bearer } from '../support/auth/dev-tokens.js';
import { bootPayments, call, type PaymentsHarness } from './support/payments-app.js';

describe('payments: the HTTP API', () => {
  let h: PaymentsHarness;
  beforeAll(async () => (h = await bootPayments('payments_api')));
  afterAll(async () => h?.close());

  const create = async (user: string, body: Record<string, unknown> = {}) => {
    const res = await h.as(user, 'POST', '/v1/payments', {
      amount: 1000,
      currency: 'usd',
      description: 'API test',
      ...body,
    });
    expect(res.status).toBe(202);
    return res.body.id as string;
  };

  it('shows a payment only to its owner: 404 for anyone else, and absent from their list', async () => {
    const id = await create('olga');
    await h.payment('olga', id, (p) => p.status === 'requires_payment_method');
    const other = await h.as('peter', 'GET', `/v1/payments/${id}`);
    expect(other.status).toBe(404);
    expect(other.body).toMatchObject({ type: 'urn:keel:problem:not-found' });
    expect(JSON.stringify(other.body)).not.toContain('secret');
    expect((await h.as('peter', 'GET', '/v1/payments')).body.items).toEqual([]);
    expect((await h.as('peter', 'GET', `/v1/payments/${id}/refunds`)).status).toBe(404);
    expect((await call(`${h.app.url}/v1/payments/${id}`)).status).toBe(401);
    expect((await h.as('olga', 'GET', '/v1/payments/not-an-id')).body.errors).toEqual([
      expect.objectContaining({ field: 'id' }),
    ]);
  });

  it('lists newest first with an opaque cursor, a limit and a status filter', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await create('quinn', { description: `item ${i}` }));
    const declined = await create('quinn', { paymentMethod: 'pm_card_chargeDeclined' });
    await h.payment('quinn', declined, (p) => p.status === 'failed');

    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res: Awaited<ReturnType<typeof h.as>> = await h.as(
        'quinn',
        'GET',
        `/v1/payments?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
      );
      expect(res.status).toBe(200);
      expect(res.body.items.length).toBeLessThanOrEqual(2);
      expect(res.body.items.every((p: any) => p.clientSecret === undefined)).toBe(true);
      seen.push(...res.body.items.map((p: any) => p.id));
      cursor = res.body.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual([...ids, declined].reverse());

    const failed = await h.as('quinn', 'GET', '/v1/payments?status=failed');
    expect(failed.body).toEqual({
      items: [expect.objectContaining({ id: declined, status: 'failed' })],
      nextCursor: null,
    });
  });

  it.each([
    ['limit above 100', '?limit=101', 'limit'],
    ['limit zero', '?limit=0', 'limit'],
    ['unknown status', '?status=paid', 'status'],
    ['a cursor keel did not make', '?cursor=bm9wZQ', 'cursor'],
    ['an unknown parameter', '?sort=amount', 'sort'],
  ])('rejects %s with 400 naming the field', async (_what, query, field) => {
    const res = await h.as('quinn', 'GET', `/v1/payments${query}`);
    expect(res.status).toBe(400);
    expect(res.body.errors.map((e: any) => e.field)).toContain(field);
  });

  it.each([
    ['amount missing', { amount: undefined }, 'amount'],
    ['amount not an integer', { amount: 10.5 }, 'amount'],
    ['amount zero', { amount: 0 }, 'amount'],
    ['amount too large', { amount: 100_000_000 }, 'amount'],
    ['amount as a string', { amount: '1000' }, 'amount'],
    ['currency not ISO 4217', { currency: 'dollars' }, 'currency'],
    ['description empty', { description: '' }, 'description'],
    ['metadata not an object', { metadata: ['x'] }, 'metadata'],
    ['metadata value not a string', { metadata: { a: 1 } }, 'metadata'],
    ['metadata key reserved', { metadata: { keel_payment_id: 'x' } }, 'metadata'],
    ['metadata key with a dot', { metadata: { 'a.b': 'x' } }, 'metadata'],
    ['paymentMethod not a pm_ id', { paymentMethod: 'tok_visa' }, 'paymentMethod'],
    ['an unknown field', { customer: 'cus_1' }, 'customer'],
  ])('rejects %s with 400 naming the field, writing nothing', async (_what, patch, field) => {
    const before = await h.db.collection('payments').countDocuments();
    const res = await h.as('rita', 'POST', '/v1/payments', {
      amount: 1000,
      currency: 'usd',
      description: 'Bad',
      ...patch,
    });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(res.body.errors.map((e: any) => e.field)).toContain(field);
    expect(await h.db.collection('payments').countDocuments()).toBe(before);
  });

  it('replays a POST retried with the same Idempotency-Key instead of starting a second payment', async () => {
    const body = { amount: 1200, currency: 'usd', description: 'Retried' };
    const first = await h.as('sam', 'POST', '/v1/payments', body);
    const send = async () =>
      call(`${h.app.url}/v1/payments`, {
        method: 'POST',
        headers: { ...(await bearer('sam')), 'idempotency-key': 'order-77' },
        json: body,
      });
    const a = await send();
    const b = await send();
    expect(a.status).toBe(202);
    expect(b.status).toBe(202);
    expect(b.headers.get('idempotent-replayed')).toBe('true');
    expect(b.body.id).toBe(a.body.id);
    expect(first.body.id).not.toBe(a.body.id);
    expect(await h.db.collection('payments').countDocuments({ ownerId: 'sam' })).toBe(2);
  });

  it('commits concurrent POSTs together, each with its own Idempotency-Key record and its own event context', async () => {
    const N = 24;
    const post = async (i: number) =>
      call(`${h.app.url}/v1/payments`, {
        method: 'POST',
        headers: {
          ...(await bearer(`burst-${i % 3}`)),
          'idempotency-key': `burst-${i}`,
          'x-request-id': `burst-req-${i}`,
        },
        json: { amount: 100 + i, currency: 'usd', description: `burst ${i}` },
      });
    const first = await Promise.all(Array.from({ length: N }, (_, i) => post(i)));
    expect(first.map((r) => r.status)).toEqual(Array(N).fill(202));
    const ids = first.map((r) => r.body.id as string);
    expect(new Set(ids).size).toBe(N);
    const payments = await h.db
      .collection('payments')
      .find({ description: /^burst / })
      .toArray();
    expect(payments).toHaveLength(N);
    for (const p of payments) {
      const i = Number(p.description.split(' ')[1]);
      expect([String(p._id), p.ownerId, p.amount]).toEqual([ids[i], `burst-${i % 3}`, 100 + i]);
    }
    // Each work item carries the request that caused it, also when several requests shared a transaction.
    const work = await h.db
      .collection('events_outbox')
      .find({ type: 'payments.intent.requested', aggregateId: { $in: ids } })
      .toArray();
    expect(work).toHaveLength(N);
    for (const e of work) {
      const i = ids.indexOf(e.aggregateId);
      expect([e.correlationId, e.actorId, e.payload.ownerId]).toEqual([
        `burst-req-${i}`,
        `burst-${i % 3}`,
        `burst-${i % 3}`,
      ]);
    }
    // Each key recorded its own payment in the transaction that committed it.
    const again = await Promise.all(Array.from({ length: N }, (_, i) => post(i)));
    expect(again.map((r) => [r.status, r.headers.get('idempotent-replayed'), r.body.id])).toEqual(
      ids.map((id) => [202, 'true', id]),
    );
    expect(await h.db.collection('payments').countDocuments({ description: /^burst / })).toBe(N);
  });

  it('documents every payments route, its DTOs and problem answers in /docs', async () => {
    const doc = (await call(`${h.app.url}/docs/json`)).body;
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/v1/payments', '/v1/payments/{id}', '/v1/payments/{id}/refunds', '/v1/webhooks/stripe']),
    );
    const post = doc.paths['/v1/payments'].post;
    expect(post.responses['202'].content['application/json'].schema.$ref).toMatch(/PaymentAcceptedDto/);
    for (const status of ['400', '401', '422', '503']) expect(post.responses[status]).toBeDefined();
    expect(doc.paths['/v1/webhooks/stripe'].post.security).toEqual([]);
    expect(doc.components.schemas.CreatePaymentDto.required).toEqual(
      expect.arrayContaining(['amount', 'currency', 'description']),
    );
  });
});
