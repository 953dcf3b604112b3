import { randomBytes } from 'node:crypto';
import type { RunningApp } from '../support/in-process-app.js';
import { bearer } from '../support/auth/dev-tokens.js';
import { PrivateRedis } from '../support/redis-server.js';
import { bootNotesApp, call } from './http-app.js';

describe('rate limits', () => {
  const prefix = `t:http_rl_${randomBytes(4).toString('hex')}`;
  const limits = {
    RATE_LIMIT_MAX: '3',
    RATE_LIMIT_WINDOW_MS: '60000',
    REDIS_PREFIX: prefix,
  };
  let replicaA: RunningApp;
  let replicaB: RunningApp;
  beforeAll(async () => {
    replicaA = await bootNotesApp('http_rl_a', limits);
    replicaB = await bootNotesApp('http_rl_b', limits);
  });
  afterAll(async () => {
    await replicaA?.close();
    await replicaB?.close();
  });

  it('limits each user, answering 429 problem+json with Retry-After', async () => {
    const alice = await bearer('alice');
    for (let i = 0; i < 3; i++) {
      const ok = await call(`${replicaA.url}/v1/notes`, { headers: alice });
      expect(ok.status).toBe(200);
      expect(ok.headers.get('x-ratelimit-remaining')).toBe(String(2 - i));
    }
    const limited = await call(`${replicaA.url}/v1/notes`, { headers: alice });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(limited.body).toMatchObject({
      status: 429,
      type: 'urn:keel:problem:rate-limited',
    });
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);

    const bob = await bearer('bob');
    expect((await call(`${replicaA.url}/v1/notes`, { headers: bob })).status).toBe(200);
  });

  it('shares the budget between replicas', async () => {
    const carol = await bearer('carol');
    expect((await call(`${replicaA.url}/v1/notes`, { headers: carol })).status).toBe(200);
    expect((await call(`${replicaB.url}/v1/notes`, { headers: carol })).status).toBe(200);
    expect((await call(`${replicaA.url}/v1/notes`, { headers: carol })).status).toBe(200);
    expect((await call(`${replicaB.url}/v1/notes`, { headers: carol })).status).toBe(429);
  });

  it('limits anonymous callers per IP', async () => {
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await call(`${replicaB.url}/v1/ping`)).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
  });

  it('never limits probes', async () => {
    for (let i = 0; i < 10; i++) expect((await call(`${replicaA.url}/health/live`)).status).toBe(200);
  });
});

describe('rate limits during a Redis outage', () => {
  let redis: PrivateRedis;
  let app: RunningApp;
  beforeAll(async () => {
    redis = await PrivateRedis.start();
    app = await bootNotesApp('http_rl_outage', {
      REDIS_URL: redis.url,
      RATE_LIMIT_MAX: '2',
    });
  });
  afterAll(async () => {
    await app?.close();
    await redis?.stop();
  });

  it('fails open: requests keep succeeding, promptly', async () => {
    const dave = await bearer('dave');
    expect((await call(`${app.url}/v1/notes`, { headers: dave })).status).toBe(200);
    await redis.stop();
    for (let i = 0; i < 5; i++) {
      const started = Date.now();
      const res = await call(`${app.url}/v1/notes`, {
        method: 'POST',
        headers: dave,
        json: { title: `during outage ${i}` },
      });
      expect(res.status).toBe(201);
      expect(Date.now() - started).toBeLessThan(1000);
    }
  });
});
