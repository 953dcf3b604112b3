import { getConnectionToken } from '@nestjs/mongoose';
import type { Connection } from 'mongoose';
import { TransactionRunner } from '../../src/platform/database/index.js';
import { RequestContext } from '../../src/platform/context/index.js';
import {
  EventBusSignals,
  EventPublisher,
  OutboxRelay,
  OutsideTransactionError,
  queueNameOf,
  EventQueues,
} from '../../src/platform/events/index.js';
import { bootInProcess, type RunningApp } from '../support/in-process-app.js';
import { WidgetService, WidgetsFeature } from './fixtures/widgets.feature.js';
import { devToken } from './support/token.js';
import { waitFor } from './support/wait.js';

describe('event bus (in process)', () => {
  let app: RunningApp;
  let db: Connection;
  let widgets: WidgetService;

  const effects = (ids: string[], subscriber = 'test.audit') =>
    db.collection('test_effects').countDocuments({ eventId: { $in: ids }, subscriber });

  beforeAll(async () => {
    app = await bootInProcess('events_bus', { EVENTS_SWEEP_INTERVAL_MS: '200', EVENTS_SWEEP_GRACE_MS: '500' }, [
      (r) => WidgetsFeature.forRole(r),
    ]);
    db = app.app.get(getConnectionToken());
    widgets = app.app.get(WidgetService);
  });
  afterAll(() => app?.close());

  it('delivers a committed event to every subscriber once, with the request context', async () => {
    const ids = await RequestContext.run({ correlationId: 'corr-42', actorId: 'user-7' }, () => widgets.create(3));
    await waitFor(
      async () =>
        (await effects(ids)) === 3 &&
        (await db.collection('test_provider_calls').countDocuments({ eventId: { $in: ids } })) === 3,
      { what: 'effects' },
    );
    const docs = await db
      .collection('test_effects')
      .find({ eventId: { $in: ids } })
      .toArray();
    expect(docs.map((d) => [d.correlationId, d.actorId])).toEqual(Array(3).fill(['corr-42', 'user-7']));
    // The relay batches its publication marks for a fraction of the sweep's grace.
    const outboxOf = () =>
      db
        .collection('events_outbox')
        .find({ _id: { $in: ids as never[] } })
        .toArray();
    await waitFor(async () => (await outboxOf()).every((r) => r.publishedAt), { what: 'publication marks' });
    const outbox = await outboxOf();
    expect(outbox[0]).toMatchObject({
      correlationId: 'corr-42',
      actorId: 'user-7',
      type: 'test.widget.created',
      subscribers: ['test.audit', 'test.mailer'],
    });
  });

  it("carries the HTTP request's correlation id and user into the event, the handler and its logs", async () => {
    const token = await devToken('user-9');
    const res = await fetch(`${app.url}/test/widgets`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        'x-request-id': 'corr-http-1',
      },
      body: JSON.stringify({ count: 1 }),
    });
    expect(res.status).toBe(202);
    const { ids } = (await res.json()) as { ids: string[] };
    const effect = await waitFor(
      () => db.collection('test_effects').findOne({ eventId: ids[0], subscriber: 'test.audit' }),
      { what: 'effect' },
    );
    expect(effect).toMatchObject({
      correlationId: 'corr-http-1',
      actorId: 'user-9',
      logCorrelationId: 'corr-http-1',
    });
    expect(await db.collection('events_outbox').findOne({ _id: ids[0] as never })).toMatchObject({
      correlationId: 'corr-http-1',
      actorId: 'user-9',
    });
  });

  it('refuses to publish outside a transaction, and writes nothing when the transaction aborts', async () => {
    const publisher = app.app.get(EventPublisher);
    const session = await db.startSession();
    await expect(
      publisher.publish(session, {
        type: 'test.widget.created',
        aggregateId: 'x',
        payload: { n: 0 },
      }),
    ).rejects.toBeInstanceOf(OutsideTransactionError);
    await session.endSession();
    let id = '';
    await expect(
      app.app.get(TransactionRunner).run(async (s) => {
        id = (
          await publisher.publish(s, {
            type: 'test.widget.created',
            aggregateId: 'y',
            payload: { n: 1 },
          })
        ).id;
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    expect(await db.collection('events_outbox').countDocuments({ _id: id as never })).toBe(0);
  });

  it('a redelivered event does not repeat its effects (inbox)', async () => {
    const [id] = await widgets.create(1);
    await waitFor(async () => (await effects([id!])) === 1, {
      what: 'first delivery',
    });
    const signals = app.app.get(EventBusSignals);
    const duplicates = signals.counters.handled;
    const queues = app.app.get(EventQueues);
    await (await queues.of('test.audit').getJob(`${id}@test.audit`))?.remove();
    const record = await db.collection('events_outbox').findOne({ _id: id as never });
    await app.app
      .get(OutboxRelay)
      .enqueue([{ event: { ...record, id } as never, subscribers: ['test.audit'] }], 'sweep');
    await waitFor(() => signals.counters.handled > duplicates, {
      what: 'redelivery',
    });
    expect(await effects([id!])).toBe(1);
    expect(queueNameOf('test.audit')).toBe('events.{test.audit}');
  });
});
