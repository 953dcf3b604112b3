import { MongoClient } from 'mongodb';
import { EmbeddedMongoServer } from '../../src/platform/database/embedded/index.js';
import { bearer } from '../support/auth/dev-tokens.js';
import { runChild } from '../support/child-app.js';
import { isolate, sharedRedisUrl } from '../support/isolation.js';
import { buildOpsApp } from './support/build-ops-app.js';
import { startOpsChild, type OpsChild } from './support/ops-child.js';
import { scrape } from './support/prom-text.js';

/** The drain as main.ts wires it, in child processes: exit codes, the bound, a second signal, jobs. */
describe('drain on signals (child processes)', () => {
  const build = buildOpsApp();
  let mongo: EmbeddedMongoServer | undefined;
  let mongoUrl: string;
  const children: OpsChild[] = [];
  const start = async (env: Record<string, string>) => {
    const child = await startOpsChild(build.entry, {
      ...isolate('ops_signals').env,
      REDIS_URL: sharedRedisUrl,
      MONGO_URL: mongoUrl,
      ...env,
    });
    children.push(child);
    return child;
  };
  beforeAll(async () => {
    mongoUrl = process.env.MONGO_URL ?? '';
    if (!mongoUrl) {
      mongo = await EmbeddedMongoServer.start();
      mongoUrl = mongo.uri();
    }
  });
  afterAll(async () => {
    await Promise.all(children.map((c) => c.stop('SIGKILL')));
    await mongo?.stop();
    build.cleanup();
  });

  it('cuts a request that outlives the bound, and exits 1 within the bound', async () => {
    const app = await start({
      APP_ROLE: 'api',
      KEEL_OPS_FIXTURES: 'ops',
      DRAIN_DELAY_MS: '0',
      SHUTDOWN_TIMEOUT_MS: '3000',
    });
    const stuck = fetch(`${app.url}/ops-test/slow?ms=9000`).then(
      (r) => `status ${r.status}`,
      () => 'connection closed',
    );
    await new Promise((r) => setTimeout(r, 200));
    const t0 = Date.now();
    expect(await app.stop('SIGTERM')).toBe(1);
    expect(Date.now() - t0).toBeLessThan(3000 + 1000);
    expect(await stuck).toBe('connection closed');
    expect(app.output()).toMatch(/1 request\(s\) still running at the bound/);
  });

  it('exits 1 at once on a second signal', async () => {
    const app = await start({
      APP_ROLE: 'api',
      KEEL_OPS_FIXTURES: 'ops',
      DRAIN_DELAY_MS: '5000',
      SHUTDOWN_TIMEOUT_MS: '10000',
    });
    app.proc.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 300));
    const t0 = Date.now();
    expect(await app.stop('SIGTERM')).toBe(1);
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(app.output()).toMatch(/SIGTERM again: exiting now/);
  });

  it('refuses to start when DRAIN_DELAY_MS is not below SHUTDOWN_TIMEOUT_MS', async () => {
    const child = runChild({
      ...isolate('ops_signals_cfg').env,
      REDIS_URL: sharedRedisUrl,
      MONGO_URL: mongoUrl,
      PORT: '0',
      DRAIN_DELAY_MS: '30000',
      SHUTDOWN_TIMEOUT_MS: '25000',
    });
    expect(await child.exited).toBe(1);
    expect(child.output()).toMatch(/DRAIN_DELAY_MS \(30000\) must be less than SHUTDOWN_TIMEOUT_MS \(25000\)/);
  });

  it('lets a worker finish its active job before exiting 0', async () => {
    const { env, dbName } = isolate('ops_signals_job');
    const app = await start({
      ...env,
      APP_ROLE: 'all',
      KEEL_OPS_FIXTURES: 'widgets',
      DRAIN_DELAY_MS: '0',
      SHUTDOWN_TIMEOUT_MS: '15000',
      EVENTS_DRAIN_TIMEOUT_MS: '10000',
    });
    const res = await fetch(`${app.url}/test/widgets`, {
      method: 'POST',
      headers: { ...(await bearer('ops-signals')), 'content-type': 'application/json' },
      body: JSON.stringify({ count: 1, sleepMs: 2500 }),
    });
    expect(res.status).toBe(202);
    const deadline = Date.now() + 15_000;
    while ((await scrape(app.url)).sum('keel_queue_jobs', { queue: 'events.{test.audit}', state: 'active' }) < 1) {
      if (Date.now() > deadline) throw new Error('the job never became active');
      await new Promise((r) => setTimeout(r, 100));
    }
    const t0 = Date.now();
    expect(await app.stop('SIGTERM')).toBe(0);
    expect(Date.now() - t0).toBeLessThan(15_000);
    const client = new MongoClient(mongoUrl);
    try {
      const effects = await client.db(dbName).collection('test_effects').find({ subscriber: 'test.audit' }).toArray();
      expect(effects.map((e) => e.pid)).toEqual([app.pid]);
    } finally {
      await client.close();
    }
    expect(app.output()).toMatch(/drain: event workers done/);
  });
});
