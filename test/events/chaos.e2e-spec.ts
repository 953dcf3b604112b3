import { MongoClient, type Db } from 'mongodb';
import { EmbeddedMongoServer } from '../../src/platform/database/embedded/index.js';
import { isolate } from '../support/isolation.js';
import { PrivateRedis } from '../support/redis-server.js';
import { buildFixtures } from './support/build-fixtures.js';
import { startFixtureApp, type FixtureApp } from './support/fixture-app.js';
import { devToken } from './support/token.js';
import { sleep, waitFor } from './support/wait.js';

/**
 * Promise 1 and 2 under faults: an api process and two workers on a private Redis; while the api keeps
 * committing events, one worker is SIGKILLed mid-handler and Redis is stopped for 10 s (and comes back
 * empty: no persistence). Every committed event must end with its effects exactly once per subscriber.
 */
describe('event bus under worker crash and Redis outage', () => {
  let fixtures: ReturnType<typeof buildFixtures>;
  let mongo: EmbeddedMongoServer;
  let redis: PrivateRedis;
  let client: MongoClient;
  let db: Db;
  const apps: FixtureApp[] = [];

  beforeAll(async () => {
    fixtures = buildFixtures();
    [mongo, redis] = await Promise.all([EmbeddedMongoServer.start(), PrivateRedis.start()]);
    const iso = isolate('events_chaos');
    client = await MongoClient.connect(mongo.uri());
    db = client.db(iso.dbName);
    const env = {
      ...iso.env,
      MONGO_URL: mongo.uri(),
      REDIS_URL: redis.url,
      KEEL_FIXTURES: 'widgets',
      EVENTS_CONCURRENCY: '8',
      EVENTS_LOCK_MS: '3000',
      EVENTS_SWEEP_INTERVAL_MS: '300',
      EVENTS_SWEEP_GRACE_MS: '1000',
      EVENTS_REDELIVER_AFTER_MS: '3000',
      EVENTS_PUBLISH_TIMEOUT_MS: '500',
      EVENTS_BACKOFF_MS: '200',
      EVENTS_ATTEMPTS: '20',
    };
    apps.push(
      ...(await Promise.all([
        startFixtureApp(fixtures.entry, { ...env, APP_ROLE: 'api' }),
        startFixtureApp(fixtures.entry, { ...env, APP_ROLE: 'worker' }),
        startFixtureApp(fixtures.entry, { ...env, APP_ROLE: 'worker' }),
      ])),
    );
  }, 180_000);

  afterAll(async () => {
    await Promise.all(apps.map((a) => a.stop('SIGKILL')));
    await redis?.stop();
    await client?.close();
    await mongo?.stop();
    fixtures?.cleanup();
  });

  it('every committed event has its effects exactly once per subscriber', async () => {
    const [api, victim] = apps as [FixtureApp, FixtureApp, FixtureApp];
    const auth = {
      authorization: `Bearer ${await devToken('load-1')}`,
      'content-type': 'application/json',
    };
    const committed: string[] = [];
    const outage = { on: false, requests: 0, failures: 0, slowestMs: 0 };
    let failures = 0;
    let loading = true;
    const load = (async () => {
      while (loading) {
        const started = Date.now();
        const res = await fetch(`${api.url}/test/widgets`, {
          method: 'POST',
          headers: auth,
          body: JSON.stringify({ count: 3, sleepMs: 100 }),
        }).catch(() => undefined);
        const ms = Date.now() - started;
        if (res?.status === 202) committed.push(...((await res.json()) as { ids: string[] }).ids);
        else failures++;
        if (outage.on) {
          outage.requests++;
          if (res?.status !== 202) outage.failures++;
          outage.slowestMs = Math.max(outage.slowestMs, ms);
        }
        await sleep(100);
      }
    })();

    // SIGKILL a worker while one of its handlers is running (its start is recorded, its effect not yet).
    const running = await waitFor(
      async () => {
        const starts = await db
          .collection('test_handler_starts')
          .find({ pid: victim.pid })
          .sort({ _id: -1 })
          .limit(5)
          .toArray();
        for (const s of starts) {
          if (
            (await db.collection('test_effects').countDocuments({
              eventId: s.eventId,
              subscriber: 'test.audit',
            })) === 0
          )
            return s;
        }
        return undefined;
      },
      {
        timeoutMs: 20_000,
        intervalMs: 20,
        what: 'a handler running in the victim worker',
      },
    );
    await victim.stop('SIGKILL');

    await sleep(1500);
    await redis.stop();
    outage.on = true;
    await sleep(10_000);
    outage.on = false;
    await redis.resume();
    await sleep(2000);
    loading = false;
    await load;

    console.log(
      `committed ${committed.length} events; ${failures} failed requests; during the outage ${outage.requests} requests, ${outage.failures} failed, slowest ${outage.slowestMs} ms`,
    );
    expect(outage.requests).toBeGreaterThan(10);
    expect(outage.failures).toBe(0);
    expect(committed.length).toBeGreaterThan(100);

    const perEvent = async (collection: string, subscriber?: string) => {
      const rows = await db
        .collection(collection)
        .aggregate<{ _id: string; n: number }>([
          {
            $match: {
              eventId: { $in: committed },
              ...(subscriber ? { subscriber } : {}),
            },
          },
          { $group: { _id: '$eventId', n: { $sum: 1 } } },
        ])
        .toArray();
      return new Map(rows.map((r) => [r._id, r.n]));
    };
    await waitFor(
      async () =>
        (await perEvent('test_effects', 'test.audit')).size === committed.length &&
        (await perEvent('test_provider_calls')).size === committed.length,
      {
        timeoutMs: 90_000,
        intervalMs: 1000,
        what: 'every committed event to be handled by both subscribers',
      },
    );
    const audit = await perEvent('test_effects', 'test.audit');
    expect([...audit.values()].filter((n) => n !== 1)).toEqual([]);
    const calls = await db
      .collection('test_provider_calls')
      .find({ eventId: { $in: committed } })
      .toArray();
    expect(calls).toHaveLength(committed.length);
    const repeatedCalls = calls.filter((c) => c.calls > 1).length;
    console.log(
      `victim was running ${running.eventId}; external calls repeated (absorbed by the idempotency key): ${repeatedCalls}`,
    );
    // the event whose handler was killed was redelivered and committed once
    expect(audit.get(running.eventId)).toBe(1);
    // the api role never runs handlers
    expect(await db.collection('test_effects').countDocuments({ pid: api.pid })).toBe(0);
  }, 180_000);
});
