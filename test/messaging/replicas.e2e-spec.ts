import { EmbeddedMongoServer } from '../../src/platform/database/embedded/index.js';
import { waitFor } from '../events/support/wait.js';
import { bearer } from '../support/auth/dev-tokens.js';
import { spawnApp, type ChildApp } from '../support/child-app.js';
import { isolate } from '../support/isolation.js';
import { conversationsApi, testEnv, type ConversationsApi } from './support/messaging-app.js';
import { openSse, type SseClient } from '../support/sse.js';

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
const seqs = (sse: SseClient) => sse.messages().map((e) => Number(e.id));

describe('messaging across replicas: two API processes, one MongoDB, one Redis', () => {
  let mongo: EmbeddedMongoServer;
  let a: ChildApp;
  let b: ChildApp;
  let onA: ConversationsApi;
  let onB: ConversationsApi;
  const open: SseClient[] = [];
  const stream = async (app: ChildApp, user: string, id: string, headers: Record<string, string> = {}) => {
    const sse = await openSse(`${app.url}/v1/conversations/${id}/stream`, { ...(await bearer(user)), ...headers });
    open.push(sse);
    return sse;
  };

  beforeAll(async () => {
    mongo = await EmbeddedMongoServer.start({ logger: { warn: () => undefined, error: (m) => console.error(m) } });
    const env = {
      ...testEnv(),
      ...isolate('msg_replicas').env,
      MONGO_URL: process.env.MONGO_URL ?? mongo.uri(),
      LOG_LEVEL: 'info',
    };
    [a, b] = await Promise.all([
      spawnApp('msg_replicas', { role: 'api', env, timeoutMs: 60_000 }),
      spawnApp('msg_replicas', { role: 'api', env, timeoutMs: 60_000 }),
    ]);
    onA = conversationsApi(a.url);
    onB = conversationsApi(b.url);
  }, 120_000);
  afterEach(() => open.splice(0).forEach((s) => s.close()));
  afterAll(async () => {
    await Promise.all([a, b].filter(Boolean).map((p) => p.stop('SIGKILL')));
    await mongo?.stop();
  });

  it('messages posted on A reach an SSE client on B, each once and in seq order', async () => {
    const id = (await onA.create('ana', ['ben'])).body.id;
    const sse = await stream(b, 'ben', id);
    expect(sse.status).toBe(200);
    for (let batch = 0; batch < 6; batch++) {
      await Promise.all(range(1, 10).map((i) => onA.post('ana', id, `from A ${batch * 10 + i}`, `a-${batch}-${i}`)));
    }
    await waitFor(() => sse.messages().length >= 60, { timeoutMs: 20_000, intervalMs: 20, what: '60 messages on B' });
    expect(seqs(sse)).toEqual(range(1, 60));
    await onB.post('ben', id, 'and back', 'b-1');
    const back = await stream(a, 'ana', id, { 'last-event-id': '60' });
    await waitFor(() => back.messages().length >= 1, { what: 'the message posted on B, on A' });
    expect(back.messages()[0]!.data).toMatchObject({ seq: 61, body: 'and back', senderId: 'ben' });
  }, 60_000);

  it('resuming on B with Last-Event-ID loses nothing posted on A meanwhile', async () => {
    const id = (await onA.create('ana', ['ben'])).body.id;
    const first = await stream(b, 'ben', id);
    await Promise.all(range(1, 5).map((i) => onA.post('ana', id, `m${i}`, `r1-${i}`)));
    await waitFor(() => first.messages().length >= 5, { what: 'the first five' });
    first.close();
    await Promise.all(range(6, 20).map((i) => onA.post('ana', id, `m${i}`, `r1-${i}`)));
    const resumed = await stream(b, 'ben', id, { 'last-event-id': first.messages().at(-1)!.id! });
    await Promise.all(range(21, 25).map((i) => onA.post('ana', id, `m${i}`, `r1-${i}`)));
    await waitFor(() => resumed.messages().length >= 20, { what: 'the rest' });
    expect([...seqs(first), ...seqs(resumed)]).toEqual(range(1, 25));
  });

  it('the same clientMessageId sent to both replicas at once stores one message', async () => {
    const id = (await onA.create('ana', ['ben'])).body.id;
    const results = await Promise.all([
      onA.post('ana', id, 'once', 'twin'),
      onB.post('ana', id, 'once', 'twin'),
      onA.post('ana', id, 'once', 'twin'),
      onB.post('ana', id, 'once', 'twin'),
    ]);
    expect(results.map((r) => r.status)).toEqual([201, 201, 201, 201]);
    expect(new Set(results.map((r) => r.body.id)).size).toBe(1);
    expect((await onB.messages('ben', id)).body.items).toHaveLength(1);
    expect((await onA.get('ana', id)).body.lastSeq).toBe(1);
  });

  it('a non-participant gets 404 on either replica', async () => {
    const id = (await onA.create('ana', ['ben'])).body.id;
    expect((await onB.get('mallory', id)).status).toBe(404);
    expect((await onB.post('mallory', id, 'hi', 'x')).status).toBe(404);
    expect((await stream(b, 'mallory', id)).status).toBe(404);
    expect((await onA.messages('mallory', id)).status).toBe(404);
  });

  it('SIGTERM on B ends its streams cleanly (exit 0); the client resumes on A without losing a message', async () => {
    const id = (await onA.create('ana', ['ben'])).body.id;
    const onBStream = await stream(b, 'ben', id);
    await Promise.all(range(1, 3).map((i) => onA.post('ana', id, `d${i}`, `d-${i}`)));
    await waitFor(() => onBStream.messages().length >= 3, { what: 'three messages on B' });
    const code = b.stop('SIGTERM');
    await Promise.race([
      onBStream.ended,
      new Promise((_, reject) => setTimeout(() => reject(new Error('stream not ended by the drain')), 10_000)),
    ]);
    await Promise.all(range(4, 8).map((i) => onA.post('ana', id, `d${i}`, `d-${i}`)));
    expect(await code).toBe(0);
    const resumed = await stream(a, 'ben', id, { 'last-event-id': onBStream.messages().at(-1)!.id! });
    await waitFor(() => resumed.messages().length >= 5, { what: 'the rest on A' });
    expect([...seqs(onBStream), ...seqs(resumed)]).toEqual(range(1, 8));
  }, 40_000);
});
