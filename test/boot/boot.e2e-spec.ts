import { PrivateRedis } from '../support/redis-server.js';
import { freePort } from '../support/free-port.js';
import { runChild, spawnApp, type ChildApp } from '../support/child-app.js';
import { isolate, sharedRedisUrl } from '../support/isolation.js';

const onEmbedded = !process.env.MONGO_URL;

async function getJson(url: string): Promise<{ status: number; body: any }> {
  const res = await fetch(url);
  return { status: res.status, body: await res.json() };
}

describe('boot: the built app as a separate process (what `npm start` runs)', () => {
  let app: ChildApp | undefined;
  afterEach(async () => {
    await app?.stop('SIGKILL');
    app = undefined;
  });

  it('serves /health/live and /health/ready once MongoDB and Redis answer', async () => {
    app = await spawnApp('boot_all');
    expect((await getJson(`${app.url}/health/live`)).status).toBe(200);
    const ready = await getJson(`${app.url}/health/ready`);
    expect(ready.status).toBe(200);
    expect(ready.body.info).toMatchObject({ mongodb: { status: 'up' }, redis: { status: 'up' } });
  });

  it.runIf(onEmbedded)(
    'starts the embedded MongoDB-compatible server when MONGO_URL is unset, and says so',
    async () => {
      app = await spawnApp('boot_embedded', { env: { MONGO_URL: '' } });
      expect(app.output()).toMatch(/MONGO_URL is unset: using keel's embedded/);
      expect(app.output()).toMatch(/MongoDB: embedded server on port \d+/);
    },
  );

  it('listens on PORT and HOST', async () => {
    const port = await freePort();
    app = await spawnApp('boot_port', { env: { PORT: String(port) } });
    expect(app.url).toBe(`http://127.0.0.1:${port}`);
  });

  for (const role of ['api', 'worker'] as const) {
    it(`runs in the ${role} role and reports it`, async () => {
      app = await spawnApp(`boot_${role}`, { role });
      expect(app.output()).toContain(`role=${role}`);
      expect((await getJson(`${app.url}/health/ready`)).status).toBe(200);
    });
  }

  it('exits 0 on SIGTERM', async () => {
    app = await spawnApp('boot_sigterm');
    expect(await app.stop('SIGTERM')).toBe(0);
  });
});

describe('boot: failures an operator can fix', () => {
  it('lists every bad variable at once and exits 1 without a stack trace', async () => {
    const child = runChild({ PORT: 'x', APP_ROLE: 'web', REDIS_URL: 'localhost' });
    expect(await child.exited).toBe(1);
    const out = child.output();
    expect(out).toMatch(/Invalid configuration \(3 problems\)/);
    for (const name of ['PORT', 'APP_ROLE', 'REDIS_URL']) expect(out).toContain(`- ${name} (`);
    expect(out).not.toMatch(/\n\s+at /);
  });

  it('names REDIS_URL when Redis is unreachable, once, and exits 1 quickly', async () => {
    const port = await freePort();
    const started = Date.now();
    const child = runChild({
      REDIS_URL: `redis://127.0.0.1:${port}`,
      BOOT_TIMEOUT_MS: '1000',
      ...isolate('boot_noredis').env,
    });
    expect(await child.exited).toBe(1);
    expect(Date.now() - started).toBeLessThan(10_000);
    const out = child.output();
    expect(out).toContain(`Redis is unreachable at REDIS_URL=redis://127.0.0.1:${port}`);
    expect(out.match(/Redis is unreachable/g)).toHaveLength(1);
    expect(out).not.toMatch(/\n\s+at /);
  });

  it('names MONGO_URL when MongoDB is unreachable and exits 1', async () => {
    const port = await freePort();
    const child = runChild({
      REDIS_URL: sharedRedisUrl,
      MONGO_URL: `mongodb://127.0.0.1:${port}/?directConnection=true`,
      BOOT_TIMEOUT_MS: '1000',
      PORT: '0',
      ...isolate('boot_nomongo').env,
    });
    expect(await child.exited).toBe(1);
    expect(child.output()).toContain(`MongoDB is unreachable at MONGO_URL=mongodb://127.0.0.1:${port}`);
    expect(child.output()).not.toMatch(/\n\s+at /);
  });

  it('warns loudly when Redis may evict keys', async () => {
    const redis = await PrivateRedis.start(['--maxmemory-policy', 'allkeys-lru']);
    try {
      const app = await spawnApp('boot_evict', { env: { REDIS_URL: redis.url } });
      expect(app.output()).toMatch(/maxmemory-policy is "allkeys-lru", not "noeviction"/);
      await app.stop('SIGKILL');
    } finally {
      await redis.stop();
    }
  });

  it('does not warn when Redis is set to noeviction', async () => {
    const redis = await PrivateRedis.start(['--maxmemory-policy', 'noeviction']);
    try {
      const app = await spawnApp('boot_noevict', { env: { REDIS_URL: redis.url } });
      expect(app.output()).not.toMatch(/maxmemory-policy/);
      await app.stop('SIGKILL');
    } finally {
      await redis.stop();
    }
  });
});
