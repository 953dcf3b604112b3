import { devToken } from '../support/auth/dev-tokens.js';
import { isolate, sharedRedisUrl } from '../support/isolation.js';
import { sleep, startKeel, type Child } from './support/children.js';
import { sendWithRetry, type Outcome } from './support/retry-client.js';
import { recordScenario } from './support/summary.js';
import { startSeverableMongo, type SeverableMongo } from './support/severable-mongo.js';

const FLAP_MS = 75_000;
const CONCURRENCY = 12;
const MONGO_TRANSACTION_TIMEOUT_MS = 10_000;
/**
 * An attempt without an answer after this long is a hang. Each wait is bounded (Mongoose buffers an
 * operation up to 10 s while disconnected, server selection takes up to 5 s, a transaction is given up
 * after MONGO_TRANSACTION_TIMEOUT_MS), but one request makes several, behind the group commit's queue,
 * and in a flapping minute they add up: the slowest attempts seen took about a minute.
 */
const ATTEMPT_BOUND_MS = 90_000;

/**
 * Promise 1 against a flapping database: the TCP path to MongoDB is reset again and again (cut for 0.5 to
 * 12 s, up for 1.5 to 5.5 s) under 12 clients posting payments with Idempotency-Keys. Resets land in the
 * middle of writes and commits, where the driver (mongodb 7.8) can leave an operation waiting forever
 * for its socket; keel gives such a transaction up, so no attempt may hang, no key may stay busy, and
 * every request ends accepted, once.
 */
describe('3 MongoDB outage, flapping: connections reset again and again mid-write', () => {
  const iso = isolate('faults_flap');
  let stack: SeverableMongo;
  let app: Child | undefined;

  beforeAll(async () => {
    stack = await startSeverableMongo();
  });
  afterAll(async () => {
    await app?.stop('SIGKILL');
    await stack?.stop();
  });

  it('never hangs a request or an Idempotency-Key: every keyed POST ends 202, once', async () => {
    const started = Date.now();
    app = await startKeel('keel', {
      ...iso.env,
      ...stack.stripe.env(),
      APP_ROLE: 'all',
      MONGO_URL: stack.mongoUrl,
      MONGO_TRANSACTION_TIMEOUT_MS: String(MONGO_TRANSACTION_TIMEOUT_MS),
      REDIS_URL: sharedRedisUrl,
      RATE_LIMIT_MAX: '0',
      IDEMPOTENCY_LOCK_S: '5',
    });
    const auth = { authorization: `Bearer ${await devToken('mongo-flap', { expiresIn: 3600 })}` };
    let loading = true;
    let n = 0;
    const outcomes: Array<Outcome & { key: string }> = [];
    const load = Array.from({ length: CONCURRENCY }, async () => {
      while (loading) {
        const key = `${iso.redisPrefix}-${n++}`;
        const outcome = await sendWithRetry(
          `${app!.url}/v1/payments`,
          {
            method: 'POST',
            headers: { ...auth, 'content-type': 'application/json', 'idempotency-key': key },
            body: JSON.stringify({ amount: 1500, currency: 'usd', description: 'flap', metadata: { k: key } }),
          },
          { budgetMs: 200_000, attemptTimeoutMs: ATTEMPT_BOUND_MS },
        );
        outcomes.push({ ...outcome, key });
      }
    });
    const end = Date.now() + FLAP_MS;
    let cuts = 0;
    while (Date.now() < end) {
      await sleep(1500 + Math.random() * 4000);
      stack.relay.cut();
      cuts++;
      // Every third cut is long enough for server selection and the buffer timeouts to run out.
      await sleep(500 + Math.random() * (cuts % 3 === 0 ? 12_000 : 3000));
      stack.relay.heal();
    }
    loading = false;
    await Promise.all(load);

    const hung = outcomes.filter((o) => o.trail.includes('net'));
    const failed = outcomes.filter((o) => o.status !== 202);
    const payments = await stack.client
      .db(iso.dbName)
      .collection('payments')
      .find({ description: 'flap' }, { projection: { 'metadata.k': 1 } })
      .toArray();
    const perKey = new Map<string, number>();
    for (const p of payments) perKey.set(p.metadata.k, (perKey.get(p.metadata.k) ?? 0) + 1);
    const accepted = outcomes.filter((o) => o.status === 202);
    const lost = accepted.filter((o) => !perKey.has(o.key));
    const duplicated = [...perKey.values()].filter((c) => c > 1).length;
    const retried = outcomes.filter((o) => o.attempts > 1).length;
    const slowest = Math.max(...outcomes.map((o) => o.ms));
    const brief = (list: typeof outcomes) =>
      list.slice(0, 5).map((o) => ({ key: o.key, status: o.status, ms: o.ms, trail: o.trail.slice(0, 12).join(',') }));
    console.log(
      `mongo flap: ${JSON.stringify({ requests: outcomes.length, cuts, retried, slowestMs: slowest, hung: brief(hung), failed: brief(failed), lost: lost.length, duplicated })}`,
    );
    recordScenario({
      scenario: '3b mongo flapping',
      file: 'test/faults/mongo-flap.fault-spec.ts',
      requests: outcomes.length,
      accepted: accepted.length,
      lost: lost.length,
      duplicated,
      fiveXx: failed.filter((o) => o.status >= 500).length,
      seconds: Math.round((Date.now() - started) / 1000),
      notes: `${cuts} resets of every MongoDB connection in ${FLAP_MS / 1000} s (down 0.5-12 s each); ${retried} requests retried (503 or 409 while the first attempt held the key), slowest ${slowest} ms in all; ${hung.length} attempts without an answer within ${ATTEMPT_BOUND_MS / 1000} s`,
    });

    expect(hung).toEqual([]);
    expect(failed).toEqual([]);
    expect(lost).toEqual([]);
    expect(duplicated).toBe(0);
    expect(cuts).toBeGreaterThanOrEqual(10);
  }, 420_000);
});
