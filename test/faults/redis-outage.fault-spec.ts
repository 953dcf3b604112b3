import { existsSync } from 'node:fs';
import { MongoClient, type Db } from 'mongodb';
import { devToken } from '../support/auth/dev-tokens.js';
import { freePort } from '../support/free-port.js';
import { isolate } from '../support/isolation.js';
import { PrivateRedis } from '../support/redis-server.js';
import { FakeStripe } from '../support/stripe/fake-stripe.js';
import { sleep, startKeel, startMongoProcess, until, untilDone, type Child } from './support/children.js';
import { FaultsLb, HAPROXY } from './support/haproxy.js';
import { sendWithRetry, type Outcome } from './support/retry-client.js';
import { recordScenario } from './support/summary.js';

const OUTAGE_MS = 15_000;
const BEFORE_MS = 5000;
const AFTER_MS = 5000;
const CONCURRENCY = 8;

interface Readiness {
  status: number;
  body: {
    status?: string;
    info?: Record<string, { status: string }>;
    error?: Record<string, { status: string }>;
  };
}
async function readiness(url: string): Promise<Readiness> {
  const res = await fetch(`${url}/health/ready`, {
    signal: AbortSignal.timeout(5000),
  });
  return { status: res.status, body: (await res.json()) as Readiness['body'] };
}

/**
 * Promise 1 against a Redis outage: two API replicas behind HAProxy and a worker, on a private Redis that
 * is stopped for 15 s under steady load and comes back empty (no persistence: every queued job is gone).
 * The API keeps answering 202 through the load balancer, because readiness on an HTTP-serving replica
 * reports Redis `degraded` (200) rather than down, while the worker's readiness is 503. Afterwards the
 * outbox sweep re-enqueues what Redis lost, and every accepted payment gets its PaymentIntent once.
 */
describe('2 Redis outage: 15 s without Redis under load', () => {
  it('has HAProxy from Debian (.ci/run installs it)', () => {
    expect(existsSync(HAPROXY), `${HAPROXY} is missing: apt-get install -y haproxy`).toBe(true);
  });

  const iso = isolate('faults_redis');
  let stripe: FakeStripe;
  let mongo: Child & { uri: string };
  let redis: PrivateRedis;
  let lb: FaultsLb | undefined;
  let client: MongoClient;
  let db: Db;
  const children: Child[] = [];

  beforeAll(async () => {
    [stripe, mongo, redis] = await Promise.all([
      FakeStripe.start(),
      startMongoProcess(),
      PrivateRedis.start(['--maxmemory-policy', 'noeviction']),
    ]);
    client = await MongoClient.connect(mongo.uri);
    db = client.db(iso.dbName);
  });
  afterAll(async () => {
    await lb?.stop();
    await Promise.all(children.map((c) => c.stop('SIGKILL')));
    await client?.close();
    await mongo?.stop('SIGKILL');
    await redis?.stop();
    await stripe?.stop();
  });

  it('keeps accepting, reports degraded readiness, then drains the backlog: nothing lost, nothing twice', async () => {
    const started = Date.now();
    const env: Record<string, string> = {
      ...iso.env,
      ...stripe.env(),
      MONGO_URL: mongo.uri,
      REDIS_URL: redis.url,
      RATE_LIMIT_MAX: '0',
      EVENTS_CONCURRENCY: '16',
      EVENTS_ATTEMPTS: '20',
      EVENTS_BACKOFF_MS: '200',
      EVENTS_PUBLISH_TIMEOUT_MS: '500',
      EVENTS_SWEEP_INTERVAL_MS: '500',
      EVENTS_SWEEP_GRACE_MS: '2000',
      EVENTS_REDELIVER_AFTER_MS: '5000',
      BOOT_TIMEOUT_MS: '20000',
    };
    const ports = [await freePort(), await freePort()];
    const [a, b, worker] = await Promise.all([
      startKeel('api-a', { ...env, APP_ROLE: 'api', PORT: String(ports[0]) }),
      startKeel('api-b', { ...env, APP_ROLE: 'api', PORT: String(ports[1]) }),
      startKeel('worker', { ...env, APP_ROLE: 'worker' }),
    ]);
    children.push(a, b, worker);
    lb = await FaultsLb.start(
      await freePort(),
      ports.map((port, i) => ({ name: `api${i}`, port })),
    );
    await until(
      async () => (await readiness(lb!.url)).status === 200,
      20_000,
      'the load balancer to see a ready replica',
    );

    const token = await devToken('redis-outage', { expiresIn: 3600 });
    const phase = { name: 'before' as 'before' | 'outage' | 'after' };
    const outcomes: Array<Outcome & { phase: string; key: string }> = [];
    let n = 0;
    let loading = true;
    const loops = Array.from({ length: CONCURRENCY }, async () => {
      while (loading) {
        const key = `${iso.redisPrefix}-${n++}`;
        const at = phase.name;
        const outcome = await sendWithRetry(`${lb!.url}/v1/payments`, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${token}`,
            'content-type': 'application/json',
            'idempotency-key': key,
          },
          body: JSON.stringify({
            amount: 2000,
            currency: 'usd',
            description: `redis outage ${key}`,
            metadata: { k: key },
          }),
        });
        outcomes.push({ ...outcome, phase: at, key });
      }
    });

    await sleep(BEFORE_MS);
    await redis.stop();
    phase.name = 'outage';
    const outageStarted = Date.now();
    // Readiness during the outage, sampled until it ends: api replicas 200 degraded, the worker 503.
    const seen = { api: [] as Readiness[], worker: [] as Readiness[] };
    while (Date.now() - outageStarted < OUTAGE_MS) {
      const [ra, rw] = await Promise.all([readiness(a.url), readiness(worker.url)]);
      if (Date.now() - outageStarted > 3000) {
        seen.api.push(ra);
        seen.worker.push(rw);
      }
      await sleep(1000);
    }
    await redis.resume();
    phase.name = 'after';
    const resumedAt = Date.now();
    await sleep(AFTER_MS);
    loading = false;
    await Promise.all(loops);

    const accepted = outcomes.filter((o) => o.status === 202);
    const during = outcomes.filter((o) => o.phase === 'outage');
    const raw = outcomes.flatMap((o) => o.trail);
    const final5xx = outcomes.filter((o) => o.status >= 500).length;

    const FINAL = 'requires_payment_method';
    const ids = new Set(accepted.map((o) => String(o.body?.id)));
    // As long as the backlog keeps shrinking: a stall of a minute is a failure, slowness is not.
    const drained = await untilDone(
      () => db.collection('payments').countDocuments({ status: FINAL }),
      ids.size,
      'the backlog to drain',
      60_000,
      500,
    ).catch((err: Error) => (console.warn(err.message), undefined));
    const payments = await db
      .collection('payments')
      .find({}, { projection: { status: 1, 'metadata.k': 1, history: 1 } })
      .toArray();
    const byKey = new Map<string, number>();
    for (const p of payments) byKey.set(p.metadata?.k, (byKey.get(p.metadata?.k) ?? 0) + 1);
    const intents = new Map<string, number>();
    for (const pi of stripe.ledger.intents.values())
      intents.set(pi.metadata?.keel_payment_id, (intents.get(pi.metadata?.keel_payment_id) ?? 0) + 1);
    const byId = new Map(payments.map((p) => [String(p._id), p]));
    const lost = [...ids].filter((id) => byId.get(id)?.status !== FINAL || intents.get(id) !== 1);
    const duplicated =
      [...byKey.values()].reduce((s, c) => s + c - 1, 0) +
      [...intents.values()].reduce((s, c) => s + Math.max(0, c - 1), 0) +
      payments.filter((p) => (p.history ?? []).filter((h: { status: string }) => h.status === FINAL).length > 1).length;
    const deadLetters = await db.collection('events_dead_letters').countDocuments({});

    const summary = {
      requests: outcomes.length,
      accepted: accepted.length,
      duringOutage: during.length,
      duringOutageAccepted: during.filter((o) => o.status === 202).length,
      duringOutageRetried: during.filter((o) => o.attempts > 1).length,
      slowestDuringOutageMs: Math.max(0, ...during.map((o) => o.ms)),
      attempts: raw.length,
      lost: lost.length,
      duplicated,
      deadLetters,
      backlogDrainedSecondsAfterRedisReturned: drained ? Math.round((drained - resumedAt) / 100) / 10 : undefined,
      apiReadiness: [
        ...new Set(
          seen.api.map(
            (r) => `${r.status} ${r.body.status} redis=${r.body.info?.redis?.status ?? r.body.error?.redis?.status}`,
          ),
        ),
      ],
      workerReadiness: [
        ...new Set(
          seen.worker.map(
            (r) => `${r.status} ${r.body.status} redis=${r.body.info?.redis?.status ?? r.body.error?.redis?.status}`,
          ),
        ),
      ],
      seconds: Math.round((Date.now() - started) / 1000),
    };
    console.log(`redis outage: ${JSON.stringify(summary)}`);
    recordScenario({
      scenario: '2 redis outage',
      file: 'test/faults/redis-outage.fault-spec.ts',
      requests: outcomes.length,
      accepted: accepted.length,
      lost: lost.length,
      duplicated,
      fiveXx: final5xx,
      seconds: summary.seconds,
      notes: `${summary.duringOutageAccepted}/${summary.duringOutage} accepted during the 15 s outage (slowest ${summary.slowestDuringOutageMs} ms); readiness api ${summary.apiReadiness.join('/')}, worker ${summary.workerReadiness.join('/')}; backlog drained ${summary.backlogDrainedSecondsAfterRedisReturned} s after Redis returned`,
    });

    expect(outcomes.filter((o) => o.status !== 202).slice(0, 5)).toEqual([]);
    expect(during.length).toBeGreaterThan(20);
    expect(
      during
        .filter((o) => o.attempts > 1)
        .slice(0, 5)
        .map((o) => o.trail),
    ).toEqual([]);
    expect(seen.api.length).toBeGreaterThan(3);
    for (const r of seen.api) {
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({
        status: 'degraded',
        info: { redis: { status: 'degraded' }, mongodb: { status: 'up' } },
      });
    }
    for (const r of seen.worker) {
      expect(r.status).toBe(503);
      expect(r.body.error).toMatchObject({ redis: { status: 'down' } });
    }
    expect(drained).toBeDefined();
    expect(lost.slice(0, 5)).toEqual([]);
    expect(duplicated).toBe(0);
    expect(deadLetters).toBe(0);
    // Back to normal: every replica ready and ok.
    for (const c of [a, b, worker])
      expect(await until(async () => (await readiness(c.url)).body.status === 'ok', 30_000, `${c.name} to be ok`)).toBe(
        true,
      );
    expect(children.every((c) => c.alive())).toBe(true);
  }, 600_000);
});
