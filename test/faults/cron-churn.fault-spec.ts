import { MongoClient, type Db } from 'mongodb';
import { EmbeddedMongoServer } from '../../src/platform/database/embedded/index.js';
import { isolate, sharedRedisUrl } from '../support/isolation.js';
import { sleep, startKeel, until, type Child } from './support/children.js';
import { recordScenario } from './support/summary.js';

const TICKS = 120;
const REPLICAS = 3;
const WORK_MS = 1500;
const LEASE_MS = 5000;
/** A victim is killed only while every tick it runs started less than this ago: far from its end. */
const FRESH_MS = 700;
const KILL_EVERY_MS = 5000;

/**
 * Promise 3 under churn: three worker replicas run a per-second exclusive cron whose body takes 1.5 s;
 * again and again the replica running the current tick is SIGKILLed mid-body (and a new replica started
 * in its place). Over 120 consecutive ticks, each must be in the run ledger once, completed, and its body
 * must have reached its end exactly once (`faults_cron_completions.completions`), the killed runs being
 * taken over by another replica once their lease ran out.
 */
describe('4 cron under churn: 3 replicas, 120 ticks, the running replica SIGKILLed repeatedly', () => {
  const iso = isolate('faults_cron');
  let mongo: EmbeddedMongoServer;
  let client: MongoClient;
  let db: Db;
  const children: Child[] = [];

  beforeAll(async () => {
    mongo = await EmbeddedMongoServer.start({
      logger: { warn: () => undefined, error: (m) => console.error(m) },
    });
    client = await MongoClient.connect(mongo.uri());
    db = client.db(iso.dbName);
  });
  afterAll(async () => {
    await Promise.all(children.map((c) => c.stop('SIGKILL')));
    await client?.close();
    await mongo?.stop();
  });

  it('completes every tick exactly once', async () => {
    const started = Date.now();
    const env = {
      ...iso.env,
      APP_ROLE: 'worker',
      MONGO_URL: mongo.uri(),
      REDIS_URL: sharedRedisUrl,
      KEEL_FAULTS_FIXTURES: 'crons',
      FAULTS_CRON_WORK_MS: String(WORK_MS),
      FAULTS_CRON_LEASE_MS: String(LEASE_MS),
      CRON_TAKEOVER_INTERVAL_MS: '500',
    };
    let n = 0;
    const replica = async () => {
      const c = await startKeel(`replica-${++n}`, env);
      children.push(c);
      return c;
    };
    await Promise.all(Array.from({ length: REPLICAS }, replica));
    const live = () => children.filter((c) => c.alive());

    const from = Math.ceil(Date.now() / 1000) * 1000 + 2000;
    const to = from + (TICKS - 1) * 1000;
    const kills: Array<{ pid: number; ticks: string[]; at: number }> = [];
    let replacing: Promise<unknown> = Promise.resolve();
    await sleep(from - Date.now());
    while (Date.now() < to - 3000) {
      await sleep(KILL_EVERY_MS);
      await replacing;
      if (live().length < REPLICAS) continue;
      // The replica running the newest tick, if every tick the ledger has it running started moments ago.
      // The ledger, not the completions: a body that reached its end stays running there until its
      // finish lands, and killing it in that gap would make the takeover run the body a second time.
      const victim = await until(
        async () => {
          if (Date.now() > to - 2000) return 'none';
          const newest = await db.collection('faults_cron_marks').find().sort({ at: -1 }).limit(1).next();
          const pid = newest?.pid as number | undefined;
          const child = live().find((c) => c.pid === pid);
          if (!child) return undefined;
          const held = await db
            .collection('cron_runs')
            .find({ name: 'faults.churn', status: 'running', runner: { $regex: `:${pid}:` } })
            .toArray();
          const marks = await db
            .collection('faults_cron_marks')
            .find({ pid, fireAt: { $in: held.map((r) => r.fireAt as Date) } })
            .toArray();
          const fresh = (r: (typeof held)[number]) => {
            const mark = marks.find(
              (m) => (m.fireAt as Date).getTime() === (r.fireAt as Date).getTime() && m.attempt === r.attempts,
            );
            // No mark yet: the body has not started.
            return !mark || Date.now() - (mark.at as Date).getTime() <= FRESH_MS;
          };
          if (held.length === 0 || !held.every(fresh)) return undefined;
          const running = held.map((r) => ({ fireAt: r.fireAt as Date }));
          child.proc.kill('SIGKILL');
          kills.push({
            pid: child.pid,
            ticks: running.map((m) => m.fireAt.toISOString()),
            at: Date.now(),
          });
          return child;
        },
        15_000,
        'a replica in the middle of a tick',
        50,
      );
      if (victim === 'none') break;
      replacing = replica();
    }
    await replacing;

    // Every tick of the window, taken-over ones included, must end completed.
    const window = {
      name: 'faults.churn',
      fireAt: { $gte: new Date(from), $lte: new Date(to) },
    };
    await until(
      async () => (await db.collection('cron_runs').countDocuments({ ...window, status: 'completed' })) >= TICKS,
      90_000,
      'every tick of the window to complete',
      500,
    ).catch((err: Error) => console.warn(err.message));
    await sleep(2 * LEASE_MS); // anything still to be taken over (it must not be) would show by now

    const expected = Array.from({ length: TICKS }, (_, i) => new Date(from + i * 1000).toISOString());
    const runs = await db.collection('cron_runs').find(window).toArray();
    const runsByTick = new Map<string, any[]>();
    for (const r of runs)
      runsByTick.set((r.fireAt as Date).toISOString(), [
        ...(runsByTick.get((r.fireAt as Date).toISOString()) ?? []),
        r,
      ]);
    const completions = await db
      .collection('faults_cron_completions')
      .find({ _id: { $in: expected } as never })
      .toArray();
    const completionsByTick = new Map(completions.map((c) => [String(c._id), c.completions as number]));
    const missing = expected.filter(
      (t) => !runsByTick.get(t)?.some((r) => r.status === 'completed') || !completionsByTick.has(t),
    );
    const doubled = expected.filter((t) => (runsByTick.get(t)?.length ?? 0) > 1 || (completionsByTick.get(t) ?? 0) > 1);
    // A taken-over run can be killed again: count each tick once.
    const killedTicks = [...new Set(kills.flatMap((k) => k.ticks))]
      .filter((t) => t >= expected[0]! && t <= expected.at(-1)!)
      .sort();
    const takenOver = runs.filter((r) => r.attempts > 1);
    const killedThenCompleted = killedTicks.filter((t) => {
      const run = runsByTick.get(t)?.[0];
      return run?.status === 'completed' && run.attempts > 1;
    });
    const runners = new Set(runs.map((r) => String(r.runner).split(':')[1]));

    const summary = {
      ticks: TICKS,
      completed: expected.length - missing.length,
      missing: missing.length,
      doubled: doubled.length,
      kills: kills.length,
      killedTicks: killedTicks.length,
      takenOver: takenOver.length,
      killedThenCompletedByAnother: killedThenCompleted.length,
      replicasStarted: n,
      runnerPids: runners.size,
      seconds: Math.round((Date.now() - started) / 1000),
    };
    console.log(`cron churn: ${JSON.stringify(summary)}`);
    recordScenario({
      scenario: '4 cron under churn',
      file: 'test/faults/cron-churn.fault-spec.ts',
      requests: TICKS,
      accepted: summary.completed,
      lost: missing.length,
      duplicated: doubled.length,
      fiveXx: 0,
      seconds: summary.seconds,
      notes: `ticks, not HTTP requests: ${kills.length} SIGKILLs of the replica mid-tick (${killedTicks.length} ticks, some killed again after a takeover), all taken over and completed once; max ${Math.max(0, ...runs.map((r) => r.attempts as number))} attempts for a tick; ${n} replicas started in all`,
    });

    if (doubled.length > 0)
      console.warn(
        `cron churn doubled: ${JSON.stringify(
          doubled.map((t) => ({
            tick: t,
            ledger: runsByTick.get(t),
            completion: completions.find((c) => String(c._id) === t),
            kills: kills.filter((k) => k.ticks.includes(t)),
          })),
        )}`,
      );
    expect(missing).toEqual([]);
    expect(doubled).toEqual([]);
    expect(kills.length).toBeGreaterThanOrEqual(8);
    expect(killedThenCompleted).toEqual(killedTicks);
    for (const t of killedThenCompleted) {
      const run = runsByTick.get(t)![0];
      const victims = kills.filter((k) => k.ticks.includes(t)).map((k) => k.pid);
      expect(
        victims.some((pid) => run.previousRunners.some((p: string) => p.includes(`:${pid}:`))),
        t,
      ).toBe(true);
      expect(
        victims.some((pid) => String(run.runner).includes(`:${pid}:`)),
        t,
      ).toBe(false);
    }
  }, 600_000);
});
