import { MongoClient, type Db } from 'mongodb';
import { EmbeddedMongoServer } from '../../src/platform/database/embedded/index.js';
import { buildFixtures } from '../events/support/build-fixtures.js';
import { startFixtureApp, type FixtureApp } from '../events/support/fixture-app.js';
import { sleep, waitFor } from '../events/support/wait.js';
import { isolate, sharedRedisUrl } from '../support/isolation.js';

describe('exclusive cron across three worker processes', () => {
  let fixtures: ReturnType<typeof buildFixtures>;
  let mongo: EmbeddedMongoServer;
  let client: MongoClient;
  let db: Db;
  let workers: FixtureApp[] = [];

  beforeAll(async () => {
    fixtures = buildFixtures();
    mongo = await EmbeddedMongoServer.start();
    const iso = isolate('cron_e2e');
    client = await MongoClient.connect(mongo.uri());
    db = client.db(iso.dbName);
    const env = {
      ...iso.env,
      APP_ROLE: 'worker',
      MONGO_URL: mongo.uri(),
      REDIS_URL: sharedRedisUrl,
      KEEL_FIXTURES: 'crons',
      CRON_TAKEOVER_INTERVAL_MS: '500',
      TEST_LONG_TICK_MS: '5000',
    };
    workers = await Promise.all([0, 1, 2].map(() => startFixtureApp(fixtures.entry, env)));
  }, 180_000);

  /** Arms the long cron and waits for its tick's first run: its start mark and the worker running it. */
  const startLongTick = async () => {
    await db.collection('test_cron_marks').deleteMany({});
    await db
      .collection('test_cron_control')
      .updateOne({ _id: 'long' as never }, { $set: { armed: true, fireAt: null } }, { upsert: true });
    const mark = await waitFor(() => db.collection('test_cron_marks').findOne({ attempt: 1 }), {
      timeoutMs: 20_000,
      what: 'a long tick to start',
    });
    const runner = workers.find((w) => w.pid === mark.pid)!;
    expect(runner).toBeDefined();
    return { mark, runner };
  };

  afterAll(async () => {
    await Promise.all(workers.map((w) => w.stop('SIGKILL')));
    await client?.close();
    await mongo?.stop();
    fixtures?.cleanup();
  });

  it('records and runs every tick of a per-second cron exactly once for 30 s', async () => {
    await sleep(2000);
    const from = Math.ceil(Date.now() / 1000) * 1000;
    await sleep(30_000);
    const to = Math.floor(Date.now() / 1000) * 1000 - 2000;
    await sleep(1000);
    const expected = Array.from({ length: (to - from) / 1000 + 1 }, (_, i) => new Date(from + i * 1000).toISOString());
    expect(expected.length).toBeGreaterThanOrEqual(27);

    const range = {
      name: 'test.every-second',
      fireAt: { $gte: new Date(from), $lte: new Date(to) },
    };
    const runs = await db.collection('cron_runs').find(range).sort({ fireAt: 1 }).toArray();
    expect(runs.map((r) => (r.fireAt as Date).toISOString())).toEqual(expected);
    expect(runs.every((r) => r.status === 'completed' && r.attempts === 1)).toBe(true);

    const effects = await db.collection('test_cron_effects').find(range).toArray();
    const perTick = new Map<string, number>();
    for (const e of effects)
      perTick.set((e.fireAt as Date).toISOString(), (perTick.get((e.fireAt as Date).toISOString()) ?? 0) + 1);
    expect([...perTick.keys()].sort()).toEqual(expected);
    expect([...perTick.values()].every((n) => n === 1)).toBe(true);

    const runners = new Set(runs.map((r) => r.runner));
    console.log(`30 s of ticks: ${runs.length} runs by ${runners.size} replica(s)`);
    // Losing the lock race is normal: no replica logs an error or a warning for it.
    for (const w of workers)
      expect(w.output()).not.toMatch(/"level":"(error|warn)".*ExclusiveCron|ExclusiveCron.*(ERROR|WARN)/);
  }, 60_000);

  it('a replica SIGKILLed mid-tick is taken over by another, which completes the tick once', async () => {
    const { mark, runner: victim } = await startLongTick();
    await victim.stop('SIGKILL');

    const run = await waitFor(
      () =>
        db.collection('cron_runs').findOne({
          name: 'test.long',
          fireAt: mark.fireAt,
          status: 'completed',
        }),
      {
        timeoutMs: 30_000,
        what: 'the long tick to be completed by another replica',
      },
    );
    expect(run.attempts).toBe(2);
    expect(run.previousRunners).toHaveLength(1);
    expect(run.previousRunners[0]).toContain(`:${victim.pid}:`);
    expect(run.runner).not.toContain(`:${victim.pid}:`);
    expect(await db.collection('test_cron_effects').countDocuments({ name: 'test.long', fireAt: mark.fireAt })).toBe(1);
    const takers = workers.filter((w) => w !== victim);
    expect(takers.some((w) => w.output().includes('taking over the tick'))).toBe(true);
  }, 60_000);

  it('a replica frozen past its lease gives the tick up when it wakes: the taker completes it, once', async () => {
    const { mark, runner: frozen } = await startLongTick();
    // Frozen past the 2 s lease and past the 5 s body's own end: when it wakes, its body's timer is due
    // at once, before any heartbeat could hear that another replica has the tick.
    process.kill(frozen.pid, 'SIGSTOP');
    await sleep(6000);
    process.kill(frozen.pid, 'SIGCONT');

    const run = await waitFor(
      () => db.collection('cron_runs').findOne({ name: 'test.long', fireAt: mark.fireAt, status: 'completed' }),
      { timeoutMs: 30_000, what: 'the long tick to be completed by the taker' },
    );
    await sleep(1000); // the woken replica's body, had it gone on, would have written by now
    expect(run.attempts).toBe(2);
    expect(run.previousRunners[0]).toContain(`:${frozen.pid}:`);
    expect(run.runner).not.toContain(`:${frozen.pid}:`);
    const effects = await db.collection('test_cron_effects').find({ name: 'test.long', fireAt: mark.fireAt }).toArray();
    expect(effects).toHaveLength(1);
    expect(effects[0]!.pid).not.toBe(frozen.pid);
    expect(frozen.output()).toMatch(/aborting this run/);
  }, 60_000);
});
