import { getConnectionToken } from '@nestjs/mongoose';
import type { Connection } from 'mongoose';
import { EventBusStats } from '../../src/platform/events/index.js';
import { bootInProcess, type RunningApp } from '../support/in-process-app.js';
import { WidgetService, WidgetsFeature } from './fixtures/widgets.feature.js';
import { devToken } from './support/token.js';
import { waitFor } from './support/wait.js';

describe('dead letters', () => {
  let app: RunningApp;
  let db: Connection;
  let widgets: WidgetService;
  let admin: Record<string, string>;

  const api = async (method: string, path: string, body?: unknown, headers = admin) => {
    const res = await fetch(`${app.url}${path}`, {
      method,
      headers: {
        ...headers,
        ...(body ? { 'content-type': 'application/json' } : {}),
      },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };

  beforeAll(async () => {
    app = await bootInProcess('events_dlq', { EVENTS_SWEEP_INTERVAL_MS: '200' }, [(r) => WidgetsFeature.forRole(r)]);
    db = app.app.get(getConnectionToken());
    widgets = app.app.get(WidgetService);
    admin = { authorization: `Bearer ${await devToken('ops-1', ['admin'])}` };
  });
  afterAll(() => app?.close());

  it('a handler that keeps failing ends in the dead letters with its error history; after the fix, replay delivers once', async () => {
    await db.collection('test_faults').updateOne({ _id: 'flaky' as never }, { $set: { on: true } }, { upsert: true });
    const [id] = await widgets.create(1, { fail: 'switch' }, 'test.widget.broken');
    const key = `${id}@test.flaky`;
    const shown = await waitFor(
      async () => {
        const r = await api('GET', `/admin/dead-letters/${encodeURIComponent(key)}`);
        return r.status === 200 ? r.body : undefined;
      },
      { what: 'dead letter' },
    );
    expect(shown).toMatchObject({
      id: key,
      eventId: id,
      subscriber: 'test.flaky',
      type: 'test.widget.broken',
      attempts: 3,
      status: 'dead',
    });
    expect(shown.event).toMatchObject({
      id,
      type: 'test.widget.broken',
      payload: { fail: 'switch' },
    });
    expect(shown.errorHistory.map((e: { attempt: number; message: string }) => [e.attempt, e.message])).toEqual([
      [1, 'Error: fault injected (attempt 1)'],
      [2, 'Error: fault injected (attempt 2)'],
      [3, 'Error: fault injected (attempt 3)'],
    ]);
    expect(await app.app.get(EventBusStats).deadLetterCount({ subscriber: 'test.flaky' })).toBeGreaterThanOrEqual(1);

    await db.collection('test_faults').updateOne({ _id: 'flaky' as never }, { $set: { on: false } });
    expect((await api('POST', `/admin/dead-letters/${encodeURIComponent(key)}/replay`)).status).toBe(202);
    await waitFor(
      async () => (await db.collection('test_effects').countDocuments({ eventId: id, subscriber: 'test.flaky' })) === 1,
      { what: 'replayed effect' },
    );
    expect((await api('GET', `/admin/dead-letters/${encodeURIComponent(key)}`)).body).toMatchObject({
      status: 'replayed',
      replays: 1,
    });
    // replaying again is refused, and nothing runs twice
    expect((await api('POST', `/admin/dead-letters/${encodeURIComponent(key)}/replay`)).status).toBe(409);
    await new Promise((r) => setTimeout(r, 500));
    expect(await db.collection('test_effects').countDocuments({ eventId: id, subscriber: 'test.flaky' })).toBe(1);
  });

  it('a permanent error skips the retries', async () => {
    const [id] = await widgets.create(1, { fail: 'permanent' }, 'test.widget.broken');
    const dl = await waitFor(() => db.collection('events_dead_letters').findOne({ _id: `${id}@test.flaky` as never }), {
      what: 'dead letter',
    });
    expect(dl).toMatchObject({ attempts: 1, status: 'dead' });
    expect(dl.errorHistory).toHaveLength(1);
    expect(dl.lastError).toContain('this widget can never be processed');
  });

  it('lists with filters and pages, replays a filtered batch, purges', async () => {
    const ids = await widgets.create(5, { fail: 'permanent' }, 'test.widget.broken');
    await waitFor(
      async () => (await db.collection('events_dead_letters').countDocuments({ eventId: { $in: ids } })) === 5,
      { what: '5 dead letters' },
    );
    const page1 = await api(
      'GET',
      '/admin/dead-letters?subscriber=test.flaky&type=test.widget.broken&pageSize=2&page=1',
    );
    expect(page1.status).toBe(200);
    expect(page1.body.items).toHaveLength(2);
    expect(page1.body.total).toBeGreaterThanOrEqual(5);
    expect(page1.body.items[0]).not.toHaveProperty('event');
    const page2 = await api('GET', '/admin/dead-letters?subscriber=test.flaky&pageSize=2&page=2');
    expect(page2.body.items.map((i: { id: string }) => i.id)).not.toContain(page1.body.items[0].id);
    expect((await api('GET', '/admin/dead-letters?subscriber=nobody')).body).toMatchObject({ items: [], total: 0 });
    expect((await api('GET', '/admin/dead-letters?pageSize=100000')).status).toBe(400);

    const batch = await api('POST', '/admin/dead-letters/replay', {
      subscriber: 'test.flaky',
      type: 'test.widget.broken',
    });
    expect(batch.status).toBe(202);
    expect(batch.body.replayed).toBeGreaterThanOrEqual(5);
    // still permanent: they come back as dead, with a longer history
    await waitFor(
      async () =>
        (await db.collection('events_dead_letters').countDocuments({
          eventId: { $in: ids },
          status: 'dead',
          replays: 1,
        })) === 5,
      { what: 'replayed and dead again' },
    );
    const again = await db.collection('events_dead_letters').findOne({ eventId: ids[0] });
    expect(again!.errorHistory).toHaveLength(2);

    expect((await api('DELETE', '/admin/dead-letters')).status).toBe(400);
    expect((await api('DELETE', `/admin/dead-letters/${encodeURIComponent(`${ids[0]}@test.flaky`)}`)).status).toBe(204);
    expect((await api('DELETE', `/admin/dead-letters/${encodeURIComponent(`${ids[0]}@test.flaky`)}`)).status).toBe(404);
    const purged = await api('DELETE', '/admin/dead-letters?subscriber=test.flaky');
    expect(purged.body.purged).toBeGreaterThanOrEqual(4);
    expect(await db.collection('events_dead_letters').countDocuments({ subscriber: 'test.flaky' })).toBe(0);
  });

  it('admin routes need the admin role', async () => {
    expect((await api('GET', '/admin/dead-letters', undefined, {})).status).toBe(401);
    const user = { authorization: `Bearer ${await devToken('user-1')}` };
    expect((await api('GET', '/admin/dead-letters', undefined, user)).status).toBe(403);
  });
});
