import type { Connection } from 'mongoose';
import { AI_JOB_COMPLETED, AI_JOB_FAILED } from '../../src/features/ai-jobs/ai-jobs.events.js';
import { CryptoEvents } from '../../src/features/crypto/crypto.events.js';
import { PaymentsEvents } from '../../src/features/payments/payments.events.js';
import { waitFor } from '../events/support/wait.js';
import { FakeDiscord } from '../support/discord/fake-discord.js';
import type { RunningApp } from '../support/in-process-app.js';
import { bootMessagingApp, conversationsApi, type ConversationsApi } from './support/messaging-app.js';
import { publish, sample } from './support/source-events.js';

describe('messaging: notifications in the app and on Discord', () => {
  let discord: FakeDiscord;
  let app: RunningApp & { db: Connection };
  let api: ConversationsApi;
  const notificationsOf = async (user: string) =>
    (await api.list(user)).body.items.find((c: { kind: string }) => c.kind === 'notifications');

  beforeAll(async () => {
    discord = await FakeDiscord.start();
    app = await bootMessagingApp('msg_notify', {
      DISCORD_WEBHOOK_URL: discord.url,
      DISCORD_TIMEOUT_MS: '500',
      DISCORD_MAX_WAIT_MS: '3000',
      EVENTS_ATTEMPTS: '6',
      EVENTS_BACKOFF_MS: '200',
    });
    api = conversationsApi(app.url);
  });
  afterEach(() => discord.reset());
  afterAll(async () => {
    await app?.close();
    await discord?.stop();
  });

  it("turns each payments, ai-jobs and crypto event into a system message in its owner's notifications conversation and one Discord post", async () => {
    const events: Array<[string, object]> = [
      [PaymentsEvents.succeeded, sample.paymentSucceeded('nora')],
      [PaymentsEvents.failed, sample.paymentFailed('nora')],
      [PaymentsEvents.refunded, sample.paymentRefunded('nora')],
      [AI_JOB_COMPLETED, sample.aiCompleted('nora')],
      [AI_JOB_FAILED, sample.aiFailed('nora')],
      [CryptoEvents.confirmed, sample.depositConfirmed('nora')],
    ];
    for (const [type, payload] of events) await publish(app.app, type, 'agg-1', payload);
    const conv = await waitFor(
      async () => ((await notificationsOf('nora'))?.lastSeq === 6 ? notificationsOf('nora') : undefined),
      { what: 'six notifications' },
    );
    expect(conv).toMatchObject({
      kind: 'notifications',
      participantIds: ['nora'],
      unreadCount: 6,
      lastMessage: { kind: 'system' },
    });
    const bodies = (await api.messages('nora', conv.id)).body.items.map((m: { body: string; kind: string }) => m.body);
    // Each subscriber's deliveries run concurrently: the order of arrival is not the order of publication.
    expect(bodies.sort()).toEqual(
      [
        'Payment succeeded: Payment pay_1 of $12.34 succeeded.',
        'Payment failed: Payment pay_2 of ¥500 failed: Your card was declined.',
        'Payment refunded: $2.34 of payment pay_1 was refunded.',
        'AI job completed: AI job job_1 (summarize) completed.\n\nA short summary.',
        'AI job failed: AI job job_2 (classify) failed: The provider kept answering 429.',
        'Deposit confirmed: Deposit dep_1 of 1.5 USDC (1.50 USD) is confirmed.',
      ].sort(),
    );
    await waitFor(() => discord.messages.length >= 6, { what: 'six Discord posts' });
    expect(discord.messages.map((m) => m.content.split('\n')[0]).sort()).toEqual(
      [
        'Payment succeeded',
        'Payment failed',
        'Payment refunded',
        'AI job completed',
        'AI job failed',
        'Deposit confirmed',
      ]
        .map((t) => `**${t}** (user \`nora\`)`)
        .sort(),
    );
    expect(discord.messages.every((m) => m.body.allowed_mentions?.parse?.length === 0)).toBe(true);
    expect(discord.messages.find((m) => m.content.includes('job_1'))!.content).not.toContain('A short summary');
    expect(discord.requests.every((r) => r.wait)).toBe(true);

    const post = await api.post('nora', conv.id, 'can I write here?', 'n-1');
    expect(post.status).toBe(422);
    expect(await notificationsOf('otto')).toBeUndefined();
    expect((await api.get('otto', conv.id)).status).toBe(404);
  });

  it('waits out a 429 for its retry_after, and an exhausted bucket until it resets, posting each notification once', async () => {
    discord.faults.push({ status: 429, retryAfter: 0.6, global: true });
    await publish(app.app, PaymentsEvents.succeeded, 'agg-2', sample.paymentSucceeded('rita', 'pay_rl'));
    await waitFor(() => discord.messages.length === 1, { what: 'the post after the rate limit' });
    const [limited, accepted] = discord.requests;
    expect(limited!.status).toBe(429);
    expect(accepted!.at - limited!.at).toBeGreaterThanOrEqual(550);

    discord.reset();
    discord.bucket = { limit: 2, windowMs: 1500 };
    for (let i = 0; i < 5; i++)
      await publish(app.app, PaymentsEvents.succeeded, `agg-b${i}`, sample.paymentSucceeded('rita', `pay_b${i}`));
    await waitFor(() => discord.messages.length === 5, {
      timeoutMs: 20_000,
      what: 'five posts through a bucket of 2 per 1.5 s',
    });
    await new Promise((r) => setTimeout(r, 300));
    expect(discord.messages).toHaveLength(5);
    expect(new Set(discord.messages.map((m) => m.content)).size).toBe(5);
    // One process posts one at a time: nothing was sent while Discord had said to wait (a bucket at 0).
    expect(discord.requests.filter((r) => r.status === 429)).toEqual([]);
    for (const [i, r] of discord.requests.entries()) {
      if (r.blockedUntil === undefined) continue;
      for (const later of discord.requests.slice(i + 1)) expect(later.at).toBeGreaterThanOrEqual(r.blockedUntil - 20);
    }
  });

  it('a Discord outage neither slows the publisher nor loses the notification: in-app at once, Discord once it is back', async () => {
    discord.outage = { hang: true };
    const took: number[] = [];
    for (let i = 0; i < 5; i++)
      took.push(
        await publish(app.app, AI_JOB_COMPLETED, `job-o${i}`, { ...sample.aiCompleted('olga'), jobId: `job-o${i}` }),
      );
    expect(Math.max(...took)).toBeLessThan(1000);
    await waitFor(async () => (await notificationsOf('olga'))?.lastSeq === 5, {
      what: 'five in-app notifications during the outage',
    });
    await waitFor(() => discord.requests.length >= 5, { what: 'Discord to be tried' });
    expect(discord.messages).toHaveLength(0);
    discord.outage = undefined;
    discord.releaseHanging();
    await waitFor(() => discord.messages.length === 5, { timeoutMs: 20_000, what: 'the five posts after the outage' });
    await new Promise((r) => setTimeout(r, 500));
    expect(discord.messages.map((m) => /job-o\d/.exec(m.content)?.[0]).sort()).toEqual([
      'job-o0',
      'job-o1',
      'job-o2',
      'job-o3',
      'job-o4',
    ]);
    expect(await app.db.collection('events_dead_letters').countDocuments({ subscriber: 'messaging.discord' })).toBe(0);
  }, 40_000);
});
