import { EmbeddedMongoServer } from '../../src/platform/database/embedded/index.js';
import { bootInProcess, type RunningApp } from '../support/in-process-app.js';
import { PrivateRedis } from '../support/redis-server.js';

interface Readiness {
  status: number;
  body: { status: string; error?: Record<string, { status: string }>; info?: Record<string, { status: string }> };
}

async function ready(url: string): Promise<Readiness> {
  const res = await fetch(`${url}/health/ready`);
  return { status: res.status, body: (await res.json()) as Readiness['body'] };
}

/** Polls readiness until it answers `status` (bounded), returning the last answer. */
async function until(url: string, status: number, timeoutMs = 20_000): Promise<Readiness> {
  const deadline = Date.now() + timeoutMs;
  let last = await ready(url);
  while (last.status !== status && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 200));
    last = await ready(url);
  }
  return last;
}

/** Polls readiness until its body's status is `status` (bounded), returning the last answer. */
async function untilStatus(url: string, status: string, timeoutMs = 20_000): Promise<Readiness> {
  const deadline = Date.now() + timeoutMs;
  let last = await ready(url);
  while (last.body.status !== status && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 200));
    last = await ready(url);
  }
  return last;
}

// Stopping and restarting MongoDB needs the embedded server; a real MONGO_URL cannot be stopped from here.
describe.runIf(!process.env.MONGO_URL)('readiness follows the stores, without a restart', () => {
  let redis: PrivateRedis;
  let mongo: EmbeddedMongoServer;
  let app: RunningApp;

  beforeAll(async () => {
    redis = await PrivateRedis.start(['--maxmemory-policy', 'noeviction']);
    mongo = await EmbeddedMongoServer.start();
    app = await bootInProcess('ops_ready', { REDIS_URL: redis.url, MONGO_URL: mongo.uri(), BOOT_TIMEOUT_MS: '2000' });
  });
  afterAll(async () => {
    await app?.close();
    await mongo?.stop();
    await redis?.stop();
  });

  it('is 200 with Mongo and Redis up; liveness checks neither', async () => {
    const r = await ready(app.url);
    expect(r.status).toBe(200);
    expect(r.body.info).toMatchObject({ mongodb: { status: 'up' }, redis: { status: 'up' }, drain: { status: 'up' } });
  });

  // A replica that serves HTTP keeps accepting while Redis is down (the outbox holds the events), so it stays
  // in the load balancer: 200 with status `degraded`. The worker role answers 503 (test/faults/redis-outage).
  it('stays 200 but reports redis degraded while Redis is stopped, and ok again once it is back', async () => {
    await redis.stop();
    const degraded = await untilStatus(app.url, 'degraded');
    expect(degraded.status).toBe(200);
    expect(degraded.body.info).toMatchObject({ redis: { status: 'degraded' }, mongodb: { status: 'up' } });
    expect(degraded.body.error).toEqual({});
    expect((await fetch(`${app.url}/health/live`)).status).toBe(200);

    await redis.resume();
    const ok = await untilStatus(app.url, 'ok');
    expect(ok.status).toBe(200);
    expect(ok.body.info).toMatchObject({ redis: { status: 'up' }, workers: { status: 'up' } });
  }, 30_000);

  it('turns 503 naming mongodb while MongoDB is stopped, and 200 again once it is back', async () => {
    const port = mongo.port;
    await mongo.stop();
    const down = await until(app.url, 503);
    expect(down.status).toBe(503);
    expect(down.body.error).toMatchObject({ mongodb: { status: 'down' } });
    expect((await fetch(`${app.url}/health/live`)).status).toBe(200);

    mongo = await EmbeddedMongoServer.start({ port });
    expect((await until(app.url, 200, 30_000)).status).toBe(200);
  }, 60_000);
});
