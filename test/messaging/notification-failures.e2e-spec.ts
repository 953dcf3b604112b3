import { randomUUID } from 'node:crypto';
import type { Connection } from 'mongoose';
import { DiscordNotifications, InAppNotifications } from '../../src/features/messaging/messaging.handlers.js';
import { PaymentsEvents } from '../../src/features/payments/payments.events.js';
import type { DomainEvent, HandlerContext } from '../../src/platform/events/index.js';
import { waitFor } from '../events/support/wait.js';
import { bearer } from '../support/auth/dev-tokens.js';
import { FakeDiscord } from '../support/discord/fake-discord.js';
import type { RunningApp } from '../support/in-process-app.js';
import { bootMessagingApp, conversationsApi } from './support/messaging-app.js';
import { publish, sample } from './support/source-events.js';
import { openSse } from '../support/sse.js';

type App = RunningApp & { db: Connection };

const deadLetters = (app: App, subscriber: string) =>
  app.db.collection('events_dead_letters').find({ subscriber }).toArray();
const notificationsOf = async (app: App, user: string) =>
  (await conversationsApi(app.url).list(user)).body.items.find((c: { kind: string }) => c.kind === 'notifications');

describe('messaging: notification failures and redeliveries', () => {
  let discord: FakeDiscord;
  let app: App;

  beforeAll(async () => {
    discord = await FakeDiscord.start();
    app = await bootMessagingApp('msg_notify_fail', {
      DISCORD_WEBHOOK_URL: discord.url,
      DISCORD_TIMEOUT_MS: '500',
      EVENTS_ATTEMPTS: '3',
      EVENTS_BACKOFF_MS: '100',
    });
  });
  afterEach(() => discord.reset());
  afterAll(async () => {
    await app?.close();
    await discord?.stop();
  });

  it('a Discord that keeps failing dead-letters the delivery while the in-app notification stands; replayed once Discord is back, it posts once', async () => {
    discord.outage = { status: 503, message: 'upstream connect error' };
    await publish(app.app, PaymentsEvents.succeeded, 'pay_dl', sample.paymentSucceeded('dora', 'pay_dl'));
    const [dead] = await waitFor(
      async () =>
        (await deadLetters(app, 'messaging.discord')).length ? deadLetters(app, 'messaging.discord') : undefined,
      { what: 'the dead letter' },
    );
    expect(dead).toMatchObject({ status: 'dead', attempts: 3, type: PaymentsEvents.succeeded });
    expect(dead!.lastError).toContain('Discord answered 503');
    expect(discord.requests.map((r) => r.status)).toEqual([503, 503, 503]);
    expect(await notificationsOf(app, 'dora')).toMatchObject({ lastSeq: 1, unreadCount: 1 });

    discord.outage = undefined;
    const replay = await fetch(`${app.url}/admin/dead-letters/${encodeURIComponent(String(dead!._id))}/replay`, {
      method: 'POST',
      headers: await bearer('ops', { roles: ['admin'] }),
    });
    expect(replay.status).toBe(202);
    await waitFor(() => discord.messages.length === 1, { what: 'the replayed post' });
    await waitFor(async () => (await deadLetters(app, 'messaging.discord'))[0]?.status === 'replayed', {
      what: 'the dead letter to be marked replayed',
    });
    await new Promise((r) => setTimeout(r, 300));
    expect(discord.messages).toHaveLength(1);
    expect(discord.messages[0]!.content).toContain('pay_dl');
    expect((await notificationsOf(app, 'dora')).lastSeq).toBe(1);
  });

  it('a webhook Discord does not know (404) is dead-lettered at once: a retry cannot fix it', async () => {
    discord.faults.push({ status: 404, message: 'Unknown Webhook' });
    await publish(app.app, PaymentsEvents.failed, 'pay_404', { ...sample.paymentFailed('gina'), paymentId: 'pay_404' });
    const dead = await waitFor(
      async () => (await deadLetters(app, 'messaging.discord')).find((d) => d.event.aggregateId === 'pay_404'),
      { what: 'the dead letter' },
    );
    expect(dead.attempts).toBe(1);
    expect(dead.lastError).toContain('Unknown Webhook');
    expect(discord.requests).toHaveLength(1);
    expect(await notificationsOf(app, 'gina')).toMatchObject({ lastSeq: 1 });
  });

  it('a redelivered event writes nothing twice, in the app or on Discord, even when the deliveries race', async () => {
    const event: DomainEvent<object> = {
      id: randomUUID(),
      type: PaymentsEvents.refunded,
      version: 1,
      occurredAt: new Date(),
      aggregateId: 'pay_re',
      correlationId: randomUUID(),
      payload: sample.paymentRefunded('rex'),
    };
    const ctx = (subscriber: string): HandlerContext => ({
      subscriber,
      session: undefined as never,
      idempotencyKey: `${event.id}@${subscriber}`,
      attempt: 1,
      signal: new AbortController().signal,
    });
    const inApp = app.app.get(InAppNotifications);
    const onDiscord = app.app.get(DiscordNotifications);
    await Promise.all([
      inApp.notify(event as never, ctx('messaging.notifications')),
      inApp.notify(event as never, ctx('messaging.notifications')),
    ]);
    await inApp.notify(event as never, ctx('messaging.notifications'));
    await onDiscord.deliver(event as never, ctx('messaging.discord'));
    await onDiscord.deliver(event as never, ctx('messaging.discord'));
    expect(await app.db.collection('messaging_messages').countDocuments({ 'notification.eventId': event.id })).toBe(1);
    expect((await notificationsOf(app, 'rex')).lastSeq).toBe(1);
    expect(discord.messages).toHaveLength(1);
  });

  it('notifications arrive live on the stream of the notifications conversation', async () => {
    await publish(app.app, PaymentsEvents.succeeded, 'pay_s1', sample.paymentSucceeded('sami', 'pay_s1'));
    const conv = await waitFor(() => notificationsOf(app, 'sami'), { what: 'the notifications conversation' });
    const sse = await openSse(`${app.url}/v1/conversations/${conv.id}/stream`, await bearer('sami'));
    try {
      await publish(app.app, PaymentsEvents.succeeded, 'pay_s2', sample.paymentSucceeded('sami', 'pay_s2'));
      await waitFor(() => sse.messages().length >= 1, { what: 'the live notification' });
      expect(sse.messages()[0]).toMatchObject({
        id: '2',
        data: { kind: 'system', seq: 2, notification: { type: PaymentsEvents.succeeded, aggregateId: 'pay_s2' } },
      });
      expect(sse.messages()[0]!.data.senderId).toBeUndefined();
    } finally {
      sse.close();
    }
  });
});

describe('messaging: notifications without DISCORD_WEBHOOK_URL', () => {
  let app: App;
  beforeAll(async () => {
    app = await bootMessagingApp('msg_no_discord');
  });
  afterAll(() => app?.close());

  it('stay in the app: Discord delivery is skipped (handled, nothing dead-lettered) and the messaging routes answer', async () => {
    const published = await publish(
      app.app,
      PaymentsEvents.succeeded,
      'pay_nd',
      sample.paymentSucceeded('nell', 'pay_nd'),
    );
    expect(published).toBeLessThan(2000);
    await waitFor(async () => (await notificationsOf(app, 'nell'))?.lastSeq === 1, { what: 'the in-app notification' });
    await waitFor(() => app.db.collection('events_inbox').countDocuments({ subscriber: 'messaging.discord' }), {
      what: 'the Discord delivery to be settled',
    });
    expect(await deadLetters(app, 'messaging.discord')).toEqual([]);
    expect(await app.db.collection('messaging_discord_deliveries').countDocuments()).toBe(0);
    const api = conversationsApi(app.url);
    expect((await api.create('nell', ['otto'])).status).toBe(201);
  });
});
