import { getConnectionToken } from '@nestjs/mongoose';
import type { Connection } from 'mongoose';
import type { RunningApp } from '../support/in-process-app.js';
import { bearer } from '../support/auth/dev-tokens.js';
import { executions } from './fixtures/notes.service.js';
import { bootNotesApp, call } from './http-app.js';

describe('Idempotency-Key', () => {
  let app: RunningApp;
  let alice: Record<string, string>;
  let bob: Record<string, string>;
  let n = 0;
  const key = () => `key-${Date.now()}-${++n}`;
  const post = (headers: Record<string, string>, idemKey: string | undefined, json: unknown, path = '/v1/notes') =>
    call(`${app.url}${path}`, {
      method: 'POST',
      headers: {
        ...headers,
        ...(idemKey !== undefined ? { 'Idempotency-Key': idemKey } : {}),
      },
      json,
    });

  beforeAll(async () => {
    app = await bootNotesApp('http_idem', {
      IDEMPOTENCY_TTL_S: '2',
      IDEMPOTENCY_LOCK_S: '2',
    });
    alice = await bearer('alice');
    bob = await bearer('bob');
  });
  afterAll(async () => app?.close());

  it('replays the first response (status and body) without running the handler again', async () => {
    const k = key();
    const first = await post(alice, k, { title: 'replayed' });
    expect(first.status).toBe(201);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    const before = executions.create;
    const again = await post(alice, k, { title: 'replayed' });
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body).toEqual(first.body);
    expect(executions.create).toBe(before);
    const list = await call(`${app.url}/v1/notes`, { headers: alice });
    expect(list.body.filter((x: { title: string }) => x.title === 'replayed')).toHaveLength(1);
  });

  it('treats a reordered JSON body as the same request', async () => {
    const k = key();
    await post(alice, k, { title: 'order', body: 'b' });
    const again = await call(`${app.url}/v1/notes`, {
      method: 'POST',
      headers: {
        ...alice,
        'Idempotency-Key': k,
        'content-type': 'application/json',
      },
      body: '{ "body": "b", "title": "order" }',
    });
    expect(again.headers.get('idempotent-replayed')).toBe('true');
  });

  it('answers 422 when the key is reused with a different body or path', async () => {
    const k = key();
    expect((await post(alice, k, { title: 'one' })).status).toBe(201);
    const other = await post(alice, k, { title: 'two' });
    expect(other.status).toBe(422);
    expect(other.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(other.body.type).toBe('urn:keel:problem:idempotency-key-reused');
    expect((await post(alice, k, {}, '/v1/ping')).status).toBe(201); // public route: anonymous, key ignored
    const otherPath = await call(`${app.url}/v1/notes?limit=1`, {
      method: 'POST',
      headers: { ...alice, 'Idempotency-Key': k },
      json: { title: 'one' },
    });
    expect(otherPath.status).toBe(422);
  });

  it('answers 409 while the first request is still running, then replays it', async () => {
    const k = key();
    const slow = post(alice, k, { title: 'slow', delayMs: 700 });
    await new Promise((r) => setTimeout(r, 200));
    const concurrent = await post(alice, k, { title: 'slow', delayMs: 700 });
    expect(concurrent.status).toBe(409);
    expect(concurrent.body.type).toBe('urn:keel:problem:idempotency-in-progress');
    expect(concurrent.headers.get('retry-after')).toBe('1');
    const first = await slow;
    expect(first.status).toBe(201);
    const replay = await post(alice, k, { title: 'slow', delayMs: 700 });
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.body).toEqual(first.body);
  });

  it('keeps the lock of a request that outlives its lease (heartbeat)', async () => {
    const k = key();
    const slow = post(alice, k, { title: 'long runner', delayMs: 3000 });
    await new Promise((r) => setTimeout(r, 2600)); // past IDEMPOTENCY_LOCK_S=2
    expect((await post(alice, k, { title: 'long runner', delayMs: 3000 })).status).toBe(409);
    expect((await slow).status).toBe(201);
  });

  it('lets two concurrent first requests with one key run the handler once', async () => {
    const k = key();
    const before = executions.create;
    const results = await Promise.all([1, 2, 3, 4, 5, 6].map(() => post(alice, k, { title: 'race', delayMs: 50 })));
    expect(executions.create - before).toBe(1);
    // Each loser either saw the winner running (409) or finished (a replay of the same 201).
    const created = results.filter((r) => r.status === 201);
    expect(created.length + results.filter((r) => r.status === 409).length).toBe(results.length);
    expect(new Set(created.map((r) => r.body.id)).size).toBe(1);
    expect(created.filter((r) => r.headers.get('idempotent-replayed') === null)).toHaveLength(1);
  });

  it('scopes keys to the user: the same key for two users is independent', async () => {
    const k = key();
    const a = await post(alice, k, { title: 'shared-key' });
    const b = await post(bob, k, { title: 'shared-key' });
    expect(a.status).toBe(201);
    expect(b.status).toBe(201);
    expect(b.headers.get('idempotent-replayed')).toBeNull();
    expect(b.body.id).not.toBe(a.body.id);
  });

  it('does not store requests rejected by validation', async () => {
    const k = key();
    expect((await post(alice, k, { title: '' })).status).toBe(400);
    const fixed = await post(alice, k, { title: 'fixed after 400' });
    expect(fixed.status).toBe(201);
    expect(fixed.headers.get('idempotent-replayed')).toBeNull();
  });

  it('does not store 5xx answers, so a retry runs again', async () => {
    const k = key();
    expect((await post(alice, k, { title: 'explode' })).status).toBe(500);
    const before = executions.create;
    expect((await post(alice, k, { title: 'explode' })).status).toBe(500);
    expect(executions.create).toBe(before + 1);
  });

  it('stores and replays a business-rule refusal (422)', async () => {
    const k = key();
    const first = await post(alice, k, { title: 'forbidden' });
    expect(first.status).toBe(422);
    const again = await post(alice, k, { title: 'forbidden' });
    expect(again.status).toBe(422);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(again.body).toEqual(first.body);
  });

  it('forgets a key after its TTL', async () => {
    const k = key();
    expect((await post(alice, k, { title: 'expiring' })).status).toBe(201);
    await new Promise((r) => setTimeout(r, 2200));
    const after = await post(alice, k, { title: 'after expiry' });
    expect(after.status).toBe(201);
    expect(after.headers.get('idempotent-replayed')).toBeNull();
  });

  it('frees a key whose holder died once its lease runs out', async () => {
    const k = key();
    const db = app.app.get<Connection>(getConnectionToken());
    // What a process killed mid-request leaves behind: a running record nobody will finish.
    const { requestFingerprint } = await import('../../src/platform/http/idempotency/fingerprint.js');
    await db.collection('idempotency_keys').insertOne({
      userId: 'alice',
      key: k,
      fingerprint: requestFingerprint('POST', '/v1/notes', { title: 'orphan' }),
      state: 'running',
      lockId: 'dead-process',
      lockedUntil: new Date(Date.now() + 1000),
      expiresAt: new Date(Date.now() + 60_000),
    });
    expect((await post(alice, k, { title: 'orphan' })).status).toBe(409);
    await new Promise((r) => setTimeout(r, 1100));
    expect((await post(alice, k, { title: 'orphan' })).status).toBe(201);
  });

  it('rejects malformed keys', async () => {
    expect((await post(alice, 'x'.repeat(256), { title: 'long key' })).status).toBe(400);
    expect((await post(alice, '', { title: 'empty key' })).status).toBe(400);
    expect((await post(alice, 'k'.repeat(255), { title: 'max key' })).status).toBe(201);
  });

  it('is optional: POSTs without a key are not deduplicated', async () => {
    expect((await post(alice, undefined, { title: 'no key 1' })).status).toBe(201);
    expect((await post(alice, undefined, { title: 'no key 2' })).status).toBe(201);
  });
});
