import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MongoClient, ObjectId, type Db } from 'mongodb';
import { OPEN_STATUSES } from '../../src/features/payments/payment-status.js';
import { devToken } from '../support/auth/dev-tokens.js';
import { projectRoot } from '../support/child-app.js';
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
/**
 * The pause between a replacement worker being up and the next SIGKILL (so a kill comes every 8 s plus a
 * boot, about 14 s on an idle machine). Each kill costs a boot (~5 CPU-seconds) and leaves the killed
 * worker's open transactions holding their documents for 60 s, which the redeliveries retry against: at
 * 5 s, kills alone took close to one of the machine's two cores.
 */
const WORKER_KILL_EVERY_MS = 8000;
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
    // A profiled child writes its profile only when it exits by itself.
    await Promise.all(children.map((c) => c.stop(process.env.FAULTS_KEEL_CPU_PROF ? 'SIGTERM' : 'SIGKILL')));
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
      // The defaults: a settled record leaves the outbox after 60 s. At 10 s, every record still queued
      // behind the backlog was handed to BullMQ again every 10 s, and every sweep scans the outbox.
      EVENTS_SWEEP_INTERVAL_MS: '1000',
      EVENTS_SWEEP_GRACE_MS: '2000', // an event whose api replica died before relaying it goes out after 2 s
      EVENTS_REDELIVER_AFTER_MS: '60000',
      STRIPE_TIMEOUT_MS: '10000',
      // A delivery whose worker is SIGKILLed again and again (a killed worker's open transaction holds the
      // payment for up to 60 s, so the redelivery keeps retrying until the next kill) goes to the dead
      // letters after BullMQ's 3 stalls; the payments reconciliation then completes it under the same
      // Stripe key, as it would in production (where it looks after 10 minutes). 45 s rather than less, so
      // that reconciliation seldom redoes a delivery that is merely still queued (it goes first: processing).
      PAYMENTS_RECONCILE_CRON: '*/5 * * * * *',
      PAYMENTS_RECONCILE_AFTER_MS: '45000',
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
    const effectsDone = await untilDone(
      () => db.collection('payments').countDocuments({ status: FINAL }),
      acceptedIds.size,
      'every accepted payment to get its PaymentIntent',
      60_000,
      2000, // each count scans the payments (the embedded server has no index for it)
    ).catch((err: Error) => (console.warn(err.message), undefined));
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
    const withoutId = accepted.filter((o) => !/^[0-9a-f]{24}$/.test(String(o.body?.id)));
    if (withoutId.length > 0)
      console.log(`${withoutId.length} accepted without a payment id, e.g. ${JSON.stringify(withoutId.slice(0, 3))}`);
    if (lost.length > 0)
      await explainLost(lost.filter((id) => /^[0-9a-f]{24}$/.test(id)).slice(0, 3)).catch((err: Error) =>
        console.warn(`could not explain the lost payments: ${err.message}`),
      );
    // Work beyond one create per payment: reconciliation's re-reads, and creates that Stripe replayed.
    const creates = stripe.requestsTo('POST', /^\/v1\/payment_intents$/);
    const reads = stripe.requestsTo('GET', /^\/v1\/payment_intents\/[^/]+$/).length;

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
      intentCreates: creates.length,
      intentCreatesReplayed: creates.filter((r) => r.replayed).length,
      intentReads: reads,
      workerKills,
      drainedExit,
      loadSeconds: Math.round(loadSeconds),
      postsPerSecond: Math.round(POSTS / loadSeconds),
      effectsDoneSeconds: effectsDone === undefined ? null : Math.round((effectsDone - started) / 1000),
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

    /** Why payments were lost: their state, where reconciliation would find them, and every child's output (in test-results/). */
    async function explainLost(ids: string[]): Promise<void> {
      for (const id of ids) {
        const p = await db.collection('payments').findOne({ _id: new ObjectId(id) });
        const olderOpen = p
          ? await db.collection('payments').countDocuments({
              status: { $in: [...OPEN_STATUSES] },
              checkedAt: { $lt: p.checkedAt },
            })
          : 0;
        const creates = stripe
          .requestsTo('POST', /^\/v1\/payment_intents$/)
          .filter((r) => r.params.metadata?.keel_payment_id === id)
          .map((r) => `${r.status}${r.replayed ? ' replayed' : ''}`);
        console.log(
          `lost payment ${id}: ${JSON.stringify(p)}; ${olderOpen} open payments checked before it; creates at Stripe: ${creates.join(', ')}`,
        );
      }
      const dir = join(projectRoot, 'test-results', 'faults-autoscaling-logs');
      mkdirSync(dir, { recursive: true });
      for (const c of children) writeFileSync(join(dir, `${c.name}.log`), c.output());
      writeFileSync(join(dir, 'timeline.log'), timeline.join('\n'));
      console.log(`every child's last output: ${dir}`);
    }
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
