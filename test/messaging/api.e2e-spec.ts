import type { Connection } from 'mongoose';
import { waitFor } from '../events/support/wait.js';
import type { RunningApp } from '../support/in-process-app.js';
import { bootMessagingApp, conversationsApi, type ConversationsApi } from './support/messaging-app.js';

describe('messaging: the HTTP contract', () => {
  let app: RunningApp & { db: Connection };
  let api: ConversationsApi;
  const count = (collection: string) => app.db.collection(collection).countDocuments();
  const fields = (body: any) => (body.errors ?? []).map((e: { field: string }) => e.field);

  beforeAll(async () => {
    app = await bootMessagingApp('msg_api');
    api = conversationsApi(app.url);
  });
  afterAll(() => app?.close());

  it.each([
    ['no participantIds', {}, 'participantIds'],
    ['participantIds that are not a list', { participantIds: 'bob' }, 'participantIds'],
    ['an empty participantIds', { participantIds: [] }, 'participantIds'],
    ['a participant id with a space', { participantIds: ['bo b'] }, 'participantIds'],
    ['a participant id that is not text', { participantIds: [7] }, 'participantIds'],
    ['only the caller', { participantIds: ['alice'] }, 'participantIds'],
    ['too many participants', { participantIds: Array.from({ length: 100 }, (_, i) => `u${i}`) }, 'participantIds'],
    ['a blank title', { participantIds: ['bob'], title: '   ' }, 'title'],
    ['a title over 200 characters', { participantIds: ['bob'], title: 't'.repeat(201) }, 'title'],
    ['an unknown field', { participantIds: ['bob'], topic: 'x' }, 'topic'],
  ])('refuses a conversation with %s: 400 naming the field, nothing written', async (_what, body, field) => {
    const before = await count('messaging_conversations');
    const res = await api.call('alice', 'POST', '', body);
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(res.body.type).toBe('urn:keel:problem:validation');
    expect(fields(res.body)).toContain(field);
    expect(await count('messaging_conversations')).toBe(before);
  });

  it.each([
    ['no body', { clientMessageId: 'c1' }, 'body'],
    ['a blank body', { body: ' \n ', clientMessageId: 'c1' }, 'body'],
    ['a body over 4000 characters', { body: 'x'.repeat(4001), clientMessageId: 'c1' }, 'body'],
    ['a body that is not text', { body: { text: 'hi' }, clientMessageId: 'c1' }, 'body'],
    ['no clientMessageId', { body: 'hi' }, 'clientMessageId'],
    ['a clientMessageId with a space', { body: 'hi', clientMessageId: 'a b' }, 'clientMessageId'],
    ['an unknown field', { body: 'hi', clientMessageId: 'c1', pinned: true }, 'pinned'],
  ])('refuses a message with %s: 400 naming the field, nothing written', async (_what, body, field) => {
    const conv = (await api.create('alice', ['bob'])).body;
    const res = await api.call('alice', 'POST', `/${conv.id}/messages`, body);
    expect(res.status).toBe(400);
    expect(fields(res.body)).toContain(field);
    expect(await app.db.collection('messaging_messages').countDocuments({ conversationId: conv.id })).toBe(0);
    expect((await api.get('alice', conv.id)).body.lastSeq).toBe(0);
  });

  it('refuses bad ids, read positions, limits and cursors with 400 naming them', async () => {
    const conv = (await api.create('alice', ['bob'])).body;
    expect(fields((await api.get('alice', 'nope')).body)).toEqual(['id']);
    expect(fields((await api.read('alice', conv.id, -1)).body)).toContain('upTo');
    expect(fields((await api.read('alice', conv.id, '1')).body)).toContain('upTo');
    expect(fields((await api.list('alice', '?limit=101')).body)).toContain('limit');
    expect(fields((await api.list('alice', '?limit=0')).body)).toContain('limit');
    expect(fields((await api.list('alice', '?cursor=bm9wZQ')).body)).toContain('cursor');
    expect(fields((await api.messages('alice', conv.id, '?cursor=e30')).body)).toContain('cursor');
    const beyond = await api.read('alice', conv.id, 1);
    expect(beyond.status).toBe(422);
    expect(fields(beyond.body)).toEqual(['upTo']);
  });

  it('creates, posts, lists with last-message preview and unread counts, and moves read positions forward only', async () => {
    const created = await api.create('alice', ['bob', 'carol', 'bob', 'alice'], 'Launch plan');
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      kind: 'group',
      title: 'Launch plan',
      participantIds: ['alice', 'bob', 'carol'],
      createdBy: 'alice',
      lastSeq: 0,
      unreadCount: 0,
    });
    const id = created.body.id;
    const first = await api.post('alice', id, 'first', 'a-1');
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({
      conversationId: id,
      seq: 1,
      kind: 'text',
      senderId: 'alice',
      body: 'first',
      clientMessageId: 'a-1',
    });
    expect((await api.post('bob', id, 'second', 'b-1')).body.seq).toBe(2);
    const long = `third ${'x'.repeat(300)}`;
    expect((await api.post('alice', id, long, 'a-2')).body.seq).toBe(3);

    const ofBob = (await api.list('bob')).body.items.find((c: { id: string }) => c.id === id);
    expect(ofBob).toMatchObject({
      lastSeq: 3,
      lastReadSeq: 0,
      unreadCount: 2,
      lastMessage: { seq: 3, senderId: 'alice', kind: 'text', preview: long.slice(0, 140) },
    });
    expect((await api.get('alice', id)).body.unreadCount).toBe(1);
    expect((await api.get('carol', id)).body.unreadCount).toBe(3);

    expect((await api.read('carol', id, 2)).body).toEqual({
      conversationId: id,
      userId: 'carol',
      lastReadSeq: 2,
      unreadCount: 1,
    });
    expect((await api.read('carol', id, 1)).body).toMatchObject({ lastReadSeq: 2, unreadCount: 1 });
    expect((await api.get('carol', id)).body).toMatchObject({ lastReadSeq: 2, unreadCount: 1 });
  });

  it('stores one message per clientMessageId and sender, even when the retries race', async () => {
    const id = (await api.create('alice', ['bob'])).body.id;
    const first = await api.post('alice', id, 'hello once', 'dup-1');
    const again = await api.post('alice', id, 'hello once', 'dup-1');
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body).toEqual(first.body);
    const racing = await Promise.all(Array.from({ length: 8 }, () => api.post('alice', id, 'raced', 'dup-2')));
    expect(racing.map((r) => r.status)).toEqual(Array(8).fill(201));
    expect(new Set(racing.map((r) => r.body.id)).size).toBe(1);
    expect(await app.db.collection('messaging_messages').countDocuments({ conversationId: id })).toBe(2);
    expect((await api.get('alice', id)).body.lastSeq).toBe(2);

    const otherBody = await api.post('alice', id, 'something else', 'dup-1');
    expect(otherBody.status).toBe(409);
    expect(fields(otherBody.body)).toEqual(['clientMessageId']);
    const elsewhere = (await api.create('alice', ['carol'])).body.id;
    expect((await api.post('alice', elsewhere, 'hello once', 'dup-1')).status).toBe(409);
    expect((await api.post('bob', id, 'hello once', 'dup-1')).body.seq).toBe(3);
  });

  it('numbers concurrent posts 1..n without gaps or repeats', async () => {
    const id = (await api.create('alice', ['bob', 'carol'])).body.id;
    const users = ['alice', 'bob', 'carol'];
    const posted = await Promise.all(
      Array.from({ length: 30 }, (_, i) => api.post(users[i % 3]!, id, `m${i}`, `conc-${i}`)),
    );
    expect(posted.every((r) => r.status === 201)).toBe(true);
    expect(posted.map((r) => r.body.seq).sort((a, b) => a - b)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
  });

  it('a non-participant gets 404 on every route and does not see the conversation listed', async () => {
    const id = (await api.create('alice', ['bob'])).body.id;
    await api.post('alice', id, 'private', 'p-1');
    for (const res of [
      await api.get('mallory', id),
      await api.post('mallory', id, 'let me in', 'm-1'),
      await api.messages('mallory', id),
      await api.read('mallory', id, 1),
      await api.call('mallory', 'GET', `/${id}/stream`),
    ]) {
      expect(res.status).toBe(404);
      expect(res.body.type).toBe('urn:keel:problem:not-found');
    }
    expect((await api.list('mallory')).body.items).toEqual([]);
    expect(await app.db.collection('messaging_messages').countDocuments({ conversationId: id })).toBe(1);
    expect((await api.call(undefined, 'GET', '')).status).toBe(401);
  });

  it('pages conversations by recent activity and messages newest first, with opaque cursors', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await api.create('paula', [`peer${i}`])).body.id);
    await api.post('paula', ids[0]!, 'bump the oldest', 'bump-1');
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const res = await api.list('paula', `?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.status).toBe(200);
      seen.push(...res.body.items.map((c: { id: string }) => c.id));
      cursor = res.body.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual([ids[0], ids[4], ids[3], ids[2], ids[1]]);

    for (let i = 1; i <= 5; i++) await api.post('paula', ids[1]!, `n${i}`, `page-${i}`);
    const p1 = await api.messages('paula', ids[1]!, '?limit=3');
    expect(p1.body.items.map((m: { seq: number }) => m.seq)).toEqual([5, 4, 3]);
    const p2 = await api.messages('paula', ids[1]!, `?limit=3&cursor=${p1.body.nextCursor}`);
    expect(p2.body.items.map((m: { body: string }) => m.body)).toEqual(['n2', 'n1']);
    expect(p2.body.nextCursor).toBeUndefined();
  });

  it('publishes messaging.message.sent once per stored message, with the participants', async () => {
    const id = (await api.create('alice', ['bob'])).body.id;
    const m = (await api.post('bob', id, 'announce me', 'ev-1')).body;
    await api.post('bob', id, 'announce me', 'ev-1');
    const rows = await waitFor(async () => {
      const found = await app.db.collection('test_messaging_sent').find({ aggregateId: id }).toArray();
      return found.length > 0 ? found : undefined;
    });
    await new Promise((r) => setTimeout(r, 500));
    expect(await app.db.collection('test_messaging_sent').countDocuments({ aggregateId: id })).toBe(1);
    expect(rows[0]).toMatchObject({
      actorId: 'bob',
      payload: {
        conversationId: id,
        messageId: m.id,
        seq: 1,
        kind: 'text',
        senderId: 'bob',
        participantIds: ['alice', 'bob'],
        body: 'announce me',
        sentAt: m.sentAt,
      },
    });
  });

  it('gives each message of a group commit the event context of the request that posted it', async () => {
    const id = (await api.create('alice', ['bob'])).body.id;
    const senders = Array.from({ length: 20 }, (_, i) => (i % 2 ? 'alice' : 'bob'));
    const posted = await Promise.all(senders.map((who, i) => api.post(who, id, `burst ${i}`, `burst-${i}`)));
    expect(posted.map((r) => r.status)).toEqual(Array(20).fill(201));
    const rows = await waitFor(async () => {
      const found = await app.db.collection('test_messaging_sent').find({ aggregateId: id }).toArray();
      return found.length >= 20 ? found : undefined;
    });
    expect(rows.map((r) => [r.actorId, r.payload.senderId]).filter(([a, s]) => a !== s)).toEqual([]);
    expect(new Set(rows.map((r) => r.payload.seq)).size).toBe(20);
  });
});
