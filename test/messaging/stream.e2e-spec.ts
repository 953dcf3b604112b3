import type { Connection } from 'mongoose';
import { ConversationWriter } from '../../src/features/messaging/conversation-writer.js';
import { MessagesRepository } from '../../src/features/messaging/messages.repository.js';
import { DrainState } from '../../src/platform/lifecycle/index.js';
import { waitFor } from '../events/support/wait.js';
import { bearer } from '../support/auth/dev-tokens.js';
import type { RunningApp } from '../support/in-process-app.js';
import { bootMessagingApp, conversationsApi, type ConversationsApi } from './support/messaging-app.js';
import { openSse, type SseClient } from '../support/sse.js';

describe('messaging: the live stream (SSE)', () => {
  let app: RunningApp & { db: Connection };
  let api: ConversationsApi;
  const open: SseClient[] = [];
  const stream = async (user: string, id: string, headers: Record<string, string> = {}, query = '') => {
    const sse = await openSse(`${app.url}/v1/conversations/${id}/stream${query}`, {
      ...(await bearer(user)),
      ...headers,
    });
    open.push(sse);
    return sse;
  };
  const seqs = (sse: SseClient) => sse.messages().map((e) => Number(e.id));
  const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
  const until = (sse: SseClient, n: number, timeoutMs = 15_000) =>
    waitFor(() => sse.messages().length >= n, { timeoutMs, intervalMs: 20, what: `${n} message events` });

  beforeAll(async () => {
    app = await bootMessagingApp('msg_stream');
    api = conversationsApi(app.url);
  });
  afterEach(() => open.splice(0).forEach((s) => s.close()));
  afterAll(() => app?.close());

  it('delivers messages as they are posted, in seq order, with the seq as the event id', async () => {
    const id = (await api.create('alice', ['bob'])).body.id;
    await api.post('bob', id, 'before the stream', 'early');
    const sse = await stream('alice', id);
    expect(sse.status).toBe(200);
    expect(sse.headers.get('content-type')).toContain('text/event-stream');
    for (let i = 1; i <= 3; i++) await api.post(i % 2 ? 'bob' : 'alice', id, `live ${i}`, `live-${i}`);
    await until(sse, 3);
    expect(sse.messages().map((e) => [e.id, e.data.body])).toEqual([
      ['2', 'live 1'],
      ['3', 'live 2'],
      ['4', 'live 3'],
    ]);
    expect(sse.messages()[0]!.data).toMatchObject({ conversationId: id, seq: 2, kind: 'text', senderId: 'bob' });
  });

  it('resumes after Last-Event-ID (or ?after=) with every message missed, then goes on live', async () => {
    const id = (await api.create('alice', ['bob'])).body.id;
    const first = await stream('alice', id);
    for (let i = 1; i <= 2; i++) await api.post('bob', id, `m${i}`, `r-${i}`);
    await until(first, 2);
    first.close();
    for (let i = 3; i <= 7; i++) await api.post('bob', id, `m${i}`, `r-${i}`);
    const resumed = await stream('alice', id, { 'last-event-id': first.messages().at(-1)!.id! });
    await until(resumed, 5);
    await api.post('alice', id, 'm8', 'r-8');
    await until(resumed, 6);
    expect(seqs(resumed)).toEqual(range(3, 8));
    expect(resumed.messages().map((e) => e.data.body)).toEqual(['m3', 'm4', 'm5', 'm6', 'm7', 'm8']);

    const byQuery = await stream('alice', id, {}, '?after=5');
    await until(byQuery, 3);
    expect(seqs(byQuery)).toEqual([6, 7, 8]);
    const ahead = await stream('alice', id, { 'last-event-id': '999' });
    await api.post('bob', id, 'm9', 'r-9');
    await until(ahead, 1);
    expect(seqs(ahead)).toEqual([9]);
  });

  it('refuses a bad Last-Event-ID or after before the stream starts (400 naming it)', async () => {
    const id = (await api.create('alice', ['bob'])).body.id;
    const bad = await stream('alice', id, { 'last-event-id': 'yesterday' });
    expect(bad.status).toBe(400);
    expect(bad.problem.errors.map((e: { field: string }) => e.field)).toEqual(['Last-Event-ID']);
    const badAfter = await stream('alice', id, {}, '?after=-1');
    expect(badAfter.status).toBe(400);
    expect(badAfter.problem.errors.map((e: { field: string }) => e.field)).toEqual(['after']);
    expect((await stream('alice', 'not-an-id')).status).toBe(400);
    const unknown = await stream('alice', id, {}, '?since=3');
    expect(unknown.status).toBe(400);
    expect(unknown.problem.errors.map((e: { field: string }) => e.field)).toEqual(['since']);
  });

  it('a client that keeps reconnecting with Last-Event-ID while 120 messages are posted concurrently gets each once, in order', async () => {
    const id = (await api.create('alice', ['bob', 'carol'])).body.id;
    const users = ['alice', 'bob', 'carol'];
    const got: number[] = [];
    let lastId = '0';
    let stop = false;
    const follower = (async () => {
      while (!stop || got.length < 120) {
        const sse = await stream('alice', id, { 'last-event-id': lastId });
        await waitFor(() => sse.messages().length >= 7 || (stop && got.length + sse.messages().length >= 120), {
          timeoutMs: 20_000,
          intervalMs: 10,
          what: 'events',
        });
        sse.close();
        await sse.ended;
        got.push(...seqs(sse));
        lastId = String(got.at(-1) ?? lastId);
      }
    })();
    const posts = [];
    for (let i = 0; i < 120; i++) {
      posts.push(api.post(users[i % 3]!, id, `burst ${i}`, `burst-${i}`));
      if (i % 10 === 9) await Promise.all(posts.splice(0));
    }
    await Promise.all(posts);
    stop = true;
    await follower;
    expect(got).toEqual(range(1, 120));
  }, 60_000);

  it('a message whose live push was lost arrives from MongoDB, before the next one, without a gap', async () => {
    const id = (await api.create('alice', ['bob'])).body.id;
    const sse = await stream('alice', id);
    await api.post('bob', id, 'pushed', 'lost-1');
    await until(sse, 1);
    // Stored but never published on the channel, as if Redis had dropped it.
    const messages = app.app.get(MessagesRepository);
    await app.app.get(ConversationWriter).append(id, {
      _id: messages.newId(),
      conversationId: id,
      seq: 0,
      kind: 'text',
      senderId: 'bob',
      body: 'silent',
      clientMessageId: 'lost-2',
      sentAt: new Date(),
    });
    await api.post('bob', id, 'after the silent one', 'lost-3');
    await until(sse, 3, 5_000);
    expect(sse.messages().map((e) => e.data.body)).toEqual(['pushed', 'silent', 'after the silent one']);
    expect(seqs(sse)).toEqual([1, 2, 3]);
  });

  it('sends read receipts as `read` events whose id is the position of the stream', async () => {
    const id = (await api.create('alice', ['bob'])).body.id;
    for (let i = 1; i <= 3; i++) await api.post('alice', id, `r${i}`, `rr-${i}`);
    const sse = await stream('alice', id);
    await api.post('alice', id, 'r4', 'rr-4');
    await until(sse, 1); // subscribed: receipts are live only
    await api.read('bob', id, 2);
    await api.read('bob', id, 1);
    await api.read('bob', id, 3);
    await waitFor(() => sse.events.filter((e) => e.event === 'read').length >= 2, { what: 'read events' });
    const reads = sse.events.filter((e) => e.event === 'read');
    expect(reads.map((e) => [e.id, e.data.userId, e.data.lastReadSeq])).toEqual([
      ['4', 'bob', 2],
      ['4', 'bob', 3],
    ]);
  });

  it('ends open streams cleanly when the process starts draining', async () => {
    const id = (await api.create('alice', ['bob'])).body.id;
    const sse = await stream('alice', id);
    await api.post('bob', id, 'last words', 'drain-1');
    await until(sse, 1);
    app.app.get(DrainState).endStreams();
    await Promise.race([
      sse.ended,
      new Promise((_, reject) => setTimeout(() => reject(new Error('stream not ended')), 5_000)),
    ]);
    expect(seqs(sse)).toEqual([1]);
  });
});
