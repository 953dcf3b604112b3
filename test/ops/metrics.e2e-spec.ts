import { MongoClient } from 'mongodb';
import { EmbeddedMongoServer } from '../../src/platform/database/embedded/index.js';
import { bearer } from '../support/auth/dev-tokens.js';
import { isolate, sharedRedisUrl } from '../support/isolation.js';
import { buildOpsApp } from './support/build-ops-app.js';
import { startOpsChild, type OpsChild } from './support/ops-child.js';
import { scrape, type Exposition } from './support/prom-text.js';

const AUDIT = 'events.{test.audit}';
const FLAKY = 'events.{test.flaky}';

/** Scrapes `url` until `ok` holds (bounded), returning the last exposition. */
async function scrapeUntil(url: string, ok: (e: Exposition) => boolean, timeoutMs = 20_000): Promise<Exposition> {
  const deadline = Date.now() + timeoutMs;
  let e = await scrape(url);
  while (!ok(e) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 250));
    e = await scrape(url);
  }
  return e;
}

describe('metrics: two replicas after traffic, jobs and crons', () => {
  const build = buildOpsApp();
  const { env: isolated, dbName } = isolate('ops_metrics');
  let mongo: EmbeddedMongoServer | undefined;
  let mongoUrl: string;
  const replicas: OpsChild[] = [];

  beforeAll(async () => {
    if (process.env.MONGO_URL) mongoUrl = process.env.MONGO_URL;
    else {
      mongo = await EmbeddedMongoServer.start();
      mongoUrl = mongo.uri();
    }
    const env = {
      ...isolated,
      REDIS_URL: sharedRedisUrl,
      MONGO_URL: mongoUrl,
      APP_ROLE: 'all',
      KEEL_OPS_FIXTURES: 'widgets,crons',
      LOG_LEVEL: 'warn',
    };
    // One after the other, so the first one to boot deterministically takes the exporter lock.
    replicas.push(await startOpsChild(build.entry, env));
    await scrapeUntil(replicas[0]!.url, (e) => e.sum('keel_metrics_cluster_exporter') === 1);
    replicas.push(await startOpsChild(build.entry, env));
  });
  afterAll(async () => {
    await Promise.all(replicas.map((r) => r.stop('SIGKILL')));
    await mongo?.stop();
    build.cleanup();
  });

  it('exposes every family with the expected labels and plausible values', async () => {
    const [a, b] = replicas as [OpsChild, OpsChild];
    const auth = { ...(await bearer('ops-metrics-user')), 'content-type': 'application/json' };
    const client = new MongoClient(mongoUrl);
    try {
      await client
        .db(dbName)
        .collection('test_faults')
        .insertOne({ _id: 'flaky' as never, on: true });
    } finally {
      await client.close();
    }
    for (let i = 0; i < 5; i++) expect((await fetch(`${a.url}/health/live`)).status).toBe(200);
    expect((await fetch(`${a.url}/v1/no-such-thing/12345`)).status).toBe(404);
    const created = await fetch(`${a.url}/test/widgets`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ count: 5 }),
    });
    expect(created.status).toBe(202);
    const broken = await fetch(`${b.url}/test/widgets`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ type: 'test.widget.broken' }),
    });
    expect(broken.status).toBe(202);

    // Jobs run on either replica: each reports the jobs it ran, so the sum over replicas counts them once.
    const deadline = Date.now() + 20_000;
    let ea: Exposition, eb: Exposition;
    for (;;) {
      [ea, eb] = await Promise.all([scrape(a.url), scrape(b.url)]);
      const done =
        ea.sum('keel_job_run_seconds_count', { queue: AUDIT, outcome: 'completed' }) +
        eb.sum('keel_job_run_seconds_count', { queue: AUDIT, outcome: 'completed' });
      const dead = ea.sum('keel_dead_letters', { subscriber: 'test.flaky' });
      const contention = ea.sum('keel_cron_lock_contention_total') + eb.sum('keel_cron_lock_contention_total');
      const failed =
        ea.sum('keel_job_run_seconds_count', { queue: FLAKY, outcome: 'failed' }) +
        eb.sum('keel_job_run_seconds_count', { queue: FLAKY, outcome: 'failed' });
      if ((done >= 5 && dead === 1 && failed >= 3 && contention > 0) || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 300));
    }

    // HTTP: by method, route template and status, never the raw path.
    expect(ea.families.get('http_request_duration_seconds')).toBe('histogram');
    expect(
      ea.sum('http_request_duration_seconds_count', { method: 'GET', route: '/health/live', status_code: '200' }),
    ).toBeGreaterThanOrEqual(5);
    expect(
      ea.sum('http_request_duration_seconds_count', { method: 'POST', route: '/test/widgets', status_code: '202' }),
    ).toBe(1);
    expect(
      ea.sum('http_request_duration_seconds_count', { method: 'GET', route: 'unmatched', status_code: '404' }),
    ).toBe(1);
    expect(ea.samples.some((s) => Object.values(s.labels).some((v) => v.includes('no-such-thing')))).toBe(false);

    // Jobs: wait and run time per queue, summed over the replicas that ran them.
    const both = (name: string, labels: Record<string, string>) => ea.sum(name, labels) + eb.sum(name, labels);
    expect(both('keel_job_run_seconds_count', { queue: AUDIT, outcome: 'completed' })).toBe(5);
    expect(both('keel_job_wait_seconds_count', { queue: AUDIT })).toBe(5);
    expect(both('keel_job_wait_seconds_sum', { queue: AUDIT }) / 5).toBeLessThan(10);
    expect(both('keel_job_run_seconds_count', { queue: FLAKY, outcome: 'failed' })).toBe(3); // 3 attempts, then a dead letter

    // Cluster-wide gauges come from exactly one replica: the first, which took the lock.
    expect(ea.sum('keel_metrics_cluster_exporter')).toBe(1);
    expect(eb.sum('keel_metrics_cluster_exporter')).toBe(0);
    for (const name of ['keel_queue_jobs', 'keel_outbox_lag_seconds', 'keel_dead_letters']) {
      expect(ea.families.has(name), name).toBe(true);
      expect(eb.families.has(name), name).toBe(false);
    }
    for (const state of ['waiting', 'active', 'delayed', 'failed']) {
      expect(ea.find('keel_queue_jobs', { queue: AUDIT, state })).toHaveLength(1);
    }
    expect(ea.sum('keel_queue_jobs', { queue: FLAKY, state: 'failed' })).toBe(1);
    expect(ea.sum('keel_dead_letters', { subscriber: 'test.flaky' })).toBe(1);
    expect(ea.sum('keel_dead_letters', { subscriber: 'test.audit' })).toBe(0);
    const lag = ea.find('keel_outbox_lag_seconds', { outbox: 'events' });
    expect(lag).toHaveLength(1);
    expect(lag[0]!.value).toBeGreaterThanOrEqual(0);
    expect(lag[0]!.value).toBeLessThan(60);

    // Crons: runs, contention (two replicas contend for every tick), freshness and nominal interval.
    expect(both('keel_cron_runs_total', { cron: 'test.every-second', outcome: 'completed' })).toBeGreaterThan(0);
    expect(both('keel_cron_lock_contention_total', { cron: 'test.every-second' })).toBeGreaterThan(0);
    expect(ea.families.get('keel_cron_takeovers_total')).toBe('counter');
    const last = ea.find('keel_cron_last_success_timestamp_seconds', { cron: 'test.every-second' });
    expect(last).toHaveLength(1);
    expect(Date.now() / 1000 - last[0]!.value).toBeLessThan(30);
    expect(ea.sum('keel_cron_interval_seconds', { cron: 'test.every-second' })).toBe(1);
    expect(ea.sum('keel_cron_interval_seconds', { cron: 'test.long' })).toBe(5);

    // The process: event-loop lag and memory.
    expect(ea.find('nodejs_eventloop_lag_seconds')).toHaveLength(1);
    expect(ea.sum('nodejs_eventloop_lag_p99_seconds')).toBeLessThan(5);
    expect(ea.sum('process_resident_memory_bytes')).toBeGreaterThan(20e6);
    expect(ea.sum('nodejs_heap_size_used_bytes')).toBeGreaterThan(1e6);
  });

  it('hands the cluster-wide gauges to another replica when the exporter goes', async () => {
    const [a, b] = replicas as [OpsChild, OpsChild];
    expect(await a.stop('SIGTERM')).toBe(0);
    const eb = await scrapeUntil(b.url, (e) => e.families.has('keel_queue_jobs'), 15_000);
    expect(eb.sum('keel_metrics_cluster_exporter')).toBe(1);
    expect(eb.find('keel_queue_jobs', { queue: AUDIT, state: 'waiting' })).toHaveLength(1);
  });
});
