import { existsSync } from 'node:fs';
import { MongoClient, type Db } from 'mongodb';
import { devToken } from '../support/auth/dev-tokens.js';
import { freePort } from '../support/free-port.js';
import { isolate, sharedRedisUrl } from '../support/isolation.js';
import { PrivateRedis } from '../support/redis-server.js';
import { FakeStripe } from '../support/stripe/fake-stripe.js';
import { cpuMeter, sleep, startKeel, startMongoProcess, until, untilDone, type Child } from './support/children.js';
import { CHECK, FaultsLb, HAPROXY } from './support/haproxy.js';
import { pool, sendWithRetry, type Outcome } from './support/retry-client.js';
import { recordScenario } from './support/summary.js';

/** At least 20,000 by the issue (asserted); FAULTS_AUTOSCALE_POSTS may raise it, or lower it while iterating locally (the run then fails). */
const POSTS = Number(process.env.FAULTS_AUTOSCALE_POSTS ?? 20_000);
const CONCURRENCY = 24;
const USERS = 8;
const WORKER_KILL_EVERY_MS = 5000;
const DRAIN_DELAY_MS = 2500; // above HAProxy's detection time: CHECK.inter × (CHECK.fall + 1) = 1500 ms
const SHUTDOWN_TIMEOUT_MS = 20_000;

/**
 * Promises 1, 2 and 4 together: HAProxy in front of API replicas under a steady stream of POST
 * /v1/payments, each with its own Idempotency-Key and sent by the README's retrying client, while a
 * replica is added, one is drained (SIGTERM), one is SIGKILLed, and a worker is SIGKILLed (and replaced)
 * every few seconds. Every accepted payment must end with exactly one PaymentIntent at (fake) Stripe and
 * one move to the intent's state (`requires_payment_method`: no card is given, so the customer would
 * confirm it), and each Idempotency-Key must have made exactly one payment.
 */
describe('1 autoscaling: replicas added, drained and killed under load', () => {
  it('has HAProxy from Debian (.ci/run installs it)', () => {
    expect(existsSync(HAPROXY), `${HAPROXY} is missing: apt-get install -y haproxy`).toBe(true);
  });

  const iso = isolate('faults_autoscale');
  let stripe: FakeStripe;
  let mongo: Child & { uri: string };
  let redis: PrivateRedis;
  let lb: FaultsLb | undefined;
  let client: MongoClient;
  let db: Db;
  const children: Child[] = [];
  const cpu = cpuMeter();
  const track = (c: Child) => (children.push(c), cpu.watch(c.name, c.pid), c);

  beforeAll(async () => {
    [stripe, mongo, redis] = await Promise.all([
      FakeStripe.start(),
      startMongoProcess(),
      PrivateRedis.start(['--maxmemory-policy', 'noeviction']),
    ]);
    cpu.watch('mongo', mongo.pid);
    cpu.watch('test', process.pid);
    client = await MongoClient.connect(mongo.uri);
    db = client.db(iso.dbName);
  });
  afterAll(async () => {
    await lb?.stop();
    await Promise.all(children.map((c) => c.stop('SIGKILL')));
    await client?.close();
    await mongo?.stop('SIGTERM');
    await redis?.stop();
    await stripe?.stop();
  });

  it(`accepts all ${POSTS.toLocaleString('en-US')} POSTs and applies each exactly once`, async () => {
    const started = Date.now();
    const env: Record<string, string> = {
      ...iso.env,
      ...stripe.env(),
      MONGO_URL: mongo.uri,
      REDIS_URL: redis.url,
      LOG_LEVEL: 'warn',
      RATE_LIMIT_MAX: '0', // one client IP sends everything; rate limits have their own suite
      DRAIN_DELAY_MS: String(DRAIN_DELAY_MS),
      SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS),
      IDEMPOTENCY_LOCK_S: '5', // a key held by a killed replica is free again after 5 s (default 60)
      EVENTS_CONCURRENCY: '16',
      EVENTS_LOCK_MS: '10000', // a killed worker's jobs come back after ~10 s (less risks stalls on a busy machine)
      EVENTS_ATTEMPTS: '20',
      EVENTS_BACKOFF_MS: '200',
      EVENTS_SWEEP_INTERVAL_MS: '500',
      EVENTS_SWEEP_GRACE_MS: '2000',
      EVENTS_REDELIVER_AFTER_MS: '10000',
      STRIPE_TIMEOUT_MS: '10000',
      // A delivery whose worker is SIGKILLed again and again (a killed worker's open transaction holds the
      // payment for up to 60 s, so the redelivery keeps retrying until the next kill) goes to the dead
      // letters after BullMQ's 3 stalls; the payments reconciliation then completes it under the same
      // Stripe key, as it would in production (where it looks after 10 minutes).
      PAYMENTS_RECONCILE_CRON: '*/5 * * * * *',
      PAYMENTS_RECONCILE_AFTER_MS: '20000',
    };
    const ports = {
      a: await freePort(),
      b: await freePort(),
      c: await freePort(),
      d: await freePort(),
    };
    const api = (name: keyof typeof ports) =>
      startKeel(`api-${name}`, {
        ...env,
        APP_ROLE: 'api',
        PORT: String(ports[name]),
      });
    const worker = (n: number) => startKeel(`worker-${n}`, { ...env, APP_ROLE: 'worker' });
    const [a, b, w1, w2] = await Promise.all([api('a'), api('b'), worker(1), worker(2)]);
    [a, b, w1, w2].forEach(track);
    lb = await FaultsLb.start(
      await freePort(),
      Object.entries(ports).map(([name, port]) => ({ name, port })),
    );
    await until(
      async () => (await fetch(`${lb!.url}/health/ready`)).status === 200,
      20_000,
      'the load balancer to see a ready replica',
    );

    const tokens = await Promise.all(
      Array.from({ length: USERS }, (_, u) => devToken(`autoscale-user-${u}`, { expiresIn: 3600 })),
    );
    const outcomes: Array<(Outcome & { key: string }) | undefined> = Array.from({
      length: POSTS,
    });
    let finished = 0;
    const load = pool(POSTS, CONCURRENCY, async (i) => {
      const key = `${iso.redisPrefix}-${i}`;
      const body = {
        amount: 1000 + (i % 500),
        currency: 'usd',
        description: `autoscaling ${i}`,
        metadata: { k: key },
      };
      const outcome = await sendWithRetry(`${lb!.url}/v1/payments`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${tokens[i % USERS]}`,
          'content-type': 'application/json',
          'idempotency-key': key,
        },
        body: JSON.stringify(body),
      });
      outcomes[i] = { ...outcome, key };
      finished++;
    });

    // The churn, keyed to progress so that it lands mid-load whatever the machine's speed.
    const timeline: string[] = [];
    const at = (what: string) => timeline.push(`${((Date.now() - started) / 1000).toFixed(1)}s @${finished} ${what}`);
    const progress = (fraction: number) =>
      until(
        () => finished >= POSTS * fraction || load.started >= POSTS,
        600_000,
        `${fraction * 100}% of the load`,
        100,
      );
    let workerKills = 0;
    let loading = true;
    // A replica that cannot start fails the test, after the load (not as an unhandled rejection mid-run).
    const churnErrors: string[] = [];
    const churnFailed = (err: Error) => {
      churnErrors.push(err.message.slice(0, 2000));
      at(`churn stopped: ${err.message.split('\n')[0]}`);
      return undefined;
    };
    const workerChurn = (async () => {
      let n = 3;
      while (loading) {
        await sleep(WORKER_KILL_EVERY_MS);
        if (!loading) break;
        const live = children.filter((c) => c.name.startsWith('worker') && c.alive());
        const victim = live[Math.floor(Math.random() * live.length)];
        if (!victim) continue;
        await victim.stop('SIGKILL');
        workerKills++;
        at(`SIGKILL ${victim.name}`);
        const fresh = await worker(n++);
        track(fresh);
        at(`started ${fresh.name}`);
      }
    })().catch(churnFailed);
    const apiChurn = (async () => {
      await progress(0.1);
      const c = await api('c');
      track(c);
      at('added api-c');
      await progress(0.3);
      at('SIGTERM api-a');
      const drained = a.stop('SIGTERM').then((code) => (at(`api-a exited ${code}`), code));
      await progress(0.45);
      const d = await api('d');
      track(d);
      at('added api-d');
      await progress(0.6);
      await b.stop('SIGKILL');
      at('SIGKILL api-b');
      return drained;
    })().catch(churnFailed);

    await load.done;
    loading = false;
    const drainedExit = await apiChurn;
    await workerChurn;
    const loadSeconds = (Date.now() - started) / 1000;

    const all = outcomes.filter((o): o is Outcome & { key: string } => o !== undefined);
    const accepted = all.filter((o) => o.status === 202);
    const failures = all.filter((o) => o.status !== 202);
    const final5xx = all.filter((o) => o.status >= 500).length;
    const raw = all.flatMap((o) => o.trail);
    const raw500 = raw.filter((s) => s === 500).length;
    const retried = all.filter((o) => o.attempts > 1).length;
    const countOf = (s: number | 'net') => raw.filter((x) => x === s).length;

    // Effects: every accepted payment must get its PaymentIntent (workers keep dying meanwhile).
    const FINAL = 'requires_payment_method';
    const acceptedIds = new Set(accepted.map((o) => String(o.body?.id)));
    // As long as payments keep completing: a loaded machine is slow, but a stall of a minute is a failure.
    await untilDone(
      () => db.collection('payments').countDocuments({ status: FINAL }),
      acceptedIds.size,
      'every accepted payment to get its PaymentIntent',
    ).catch((err: Error) => console.warn(err.message));
    const payments = await db
      .collection('payments')
      .find({}, { projection: { _id: 1, status: 1, 'metadata.k': 1, history: 1 } })
      .toArray();
    const byKey = new Map<string, number>();
    for (const p of payments) byKey.set(p.metadata?.k, (byKey.get(p.metadata?.k) ?? 0) + 1);
    const intentsByPayment = new Map<string, number>();
    for (const pi of stripe.ledger.intents.values())
      intentsByPayment.set(pi.metadata?.keel_payment_id, (intentsByPayment.get(pi.metadata?.keel_payment_id) ?? 0) + 1);
    const paymentById = new Map(payments.map((p) => [String(p._id), p]));

    const lost = [...acceptedIds].filter(
      (id) => paymentById.get(id)?.status !== FINAL || intentsByPayment.get(id) !== 1,
    );
    const extraPayments = [...byKey.values()].reduce((n, c) => n + c - 1, 0);
    const extraIntents = [...intentsByPayment.values()].reduce((n, c) => n + Math.max(0, c - 1), 0);
    const doubleMoves = payments.filter(
      (p) => (p.history ?? []).filter((h: { status: string }) => h.status === FINAL).length > 1,
    ).length;
    const orphanPayments = payments.filter((p) => !acceptedIds.has(String(p._id))).length;
    const deadLetters = await db.collection('events_dead_letters').countDocuments({});
    const deadSample = await db.collection('events_dead_letters').find({}).limit(3).toArray();
    if (deadSample.length) console.log(`dead letters: ${JSON.stringify(deadSample).slice(0, 3000)}`);

    const summary = {
      posts: POSTS,
      accepted: accepted.length,
      failures: failures.length,
      retriedRequests: retried,
      attempts: raw.length,
      rawNet: countOf('net'),
      raw409: countOf(409),
      raw502: countOf(502),
      raw503: countOf(503),
      raw500,
      payments: payments.length,
      orphanPayments,
      extraPayments,
      intents: stripe.ledger.intents.size,
      extraIntents,
      doubleMoves,
      lost: lost.length,
      deadLetters,
      workerKills,
      drainedExit,
      loadSeconds: Math.round(loadSeconds),
      totalSeconds: Math.round((Date.now() - started) / 1000),
      cpuSeconds: cpu.stop(),
    };
    console.log(`autoscaling: ${JSON.stringify(summary)}\n${timeline.join('\n')}`);
    recordScenario({
      scenario: '1 autoscaling',
      file: 'test/faults/autoscaling.fault-spec.ts',
      requests: POSTS,
      accepted: accepted.length,
      lost: lost.length,
      duplicated: extraPayments + extraIntents + doubleMoves,
      fiveXx: final5xx,
      seconds: summary.totalSeconds,
      notes: `${raw.length} attempts (${retried} requests retried: ${summary.rawNet} conn errors, ${summary.raw409} 409, ${summary.raw502 + summary.raw503} 502/503, ${raw500} 500); +1 replica, 1 SIGTERM (exit ${drainedExit}), 1 SIGKILL api, ${workerKills} SIGKILL worker; ${deadLetters} deliveries dead-lettered (stalled by repeated kills) and completed by reconciliation`,
    });

    expect(churnErrors).toEqual([]);
    expect(
      failures.slice(0, 5).map((o) => ({
        key: o.key,
        status: o.status,
        trail: o.trail,
        error: o.error,
        body: o.body,
      })),
    ).toEqual([]);
    expect(accepted).toHaveLength(POSTS);
    expect(raw500).toBe(0);
    expect(lost.slice(0, 5)).toEqual([]);
    expect(extraPayments).toBe(0);
    expect(orphanPayments).toBe(0);
    expect(extraIntents).toBe(0);
    expect(doubleMoves).toBe(0);
    expect(drainedExit, a.output().slice(-3000)).toBe(0);
    expect(workerKills).toBeGreaterThanOrEqual(3);
    expect(CHECK.inter * (CHECK.fall + 1)).toBeLessThan(DRAIN_DELAY_MS);
    // Issue 11's floor: a run lowered with FAULTS_AUTOSCALE_POSTS (to iterate locally) does not pass.
    expect(POSTS).toBeGreaterThanOrEqual(20_000);
  }, 1_200_000);
});

/**
 * The case the load above can hit by chance, made deterministic: a replica is SIGKILLed after the
 * request's transaction committed and before its response was recorded under the Idempotency-Key. The
 * client's retry (on another replica, once the dead holder's lease is over) must get the committed
 * response, and the effect must exist once.
 */
describe('1 autoscaling: a replica killed between its commit and its response', () => {
  const iso = isolate('faults_commit_kill');
  let mongo: Child & { uri: string };
  let client: MongoClient;
  const children: Child[] = [];
  beforeAll(async () => {
    mongo = await startMongoProcess();
    client = await MongoClient.connect(mongo.uri);
  });
  afterAll(async () => {
    await Promise.all(children.map((c) => c.stop('SIGKILL')));
    await client?.close();
    await mongo?.stop('SIGKILL');
  });

  it('the retry replays what was committed and runs nothing twice', async () => {
    const db = client.db(iso.dbName);
    const env = {
      ...iso.env,
      MONGO_URL: mongo.uri,
      REDIS_URL: sharedRedisUrl,
      APP_ROLE: 'api',
      KEEL_FAULTS_FIXTURES: 'probe',
      IDEMPOTENCY_LOCK_S: '1',
    };
    const first = await startKeel('api-first', {
      ...env,
      FAULTS_PROBE_HOLD_MS: '60000',
    });
    children.push(first);
    const headers = {
      authorization: `Bearer ${await devToken('commit-kill')}`,
      'idempotency-key': `${iso.redisPrefix}-k`,
    };
    const path = '/faults-test/commit-then-wait?tag=kill';
    const pending = fetch(`${first.url}${path}`, {
      method: 'POST',
      headers,
    }).then(
      (r) => r.status,
      () => 'connection lost',
    );
    const effect = await until(
      () => db.collection('faults_effects').findOne({ tag: 'kill' }),
      30_000,
      'the first attempt to commit',
    );
    await first.stop('SIGKILL');
    expect(await pending).toBe('connection lost');

    const second = await startKeel('api-second', env);
    children.push(second);
    const retried = await sendWithRetry(`${second.url}${path}`, { method: 'POST', headers }, { budgetMs: 30_000 });
    expect(await db.collection('faults_effects').countDocuments({ tag: 'kill' })).toBe(1);
    expect(retried.status, JSON.stringify(retried)).toBe(202);
    expect(retried.body).toEqual({ id: String(effect._id), pid: first.pid });
    expect(retried.trail.every((s) => s === 409 || s === 202)).toBe(true);
    expect(await db.collection('faults_effects').countDocuments({ tag: 'kill' })).toBe(1);

    const again = await sendWithRetry(`${second.url}${path}`, {
      method: 'POST',
      headers,
    });
    expect(again).toMatchObject({
      status: 202,
      attempts: 1,
      body: { id: String(effect._id) },
    });
    expect(await db.collection('faults_effects').countDocuments({ tag: 'kill' })).toBe(1);
  }, 180_000);
});
