import type { Connection } from 'mongoose';
import type { RunningApp } from '../support/in-process-app.js';
import { FakeOpenAI } from '../support/openai/fake-openai.js';
import { waitFor } from '../events/support/wait.js';
import { api, bootAiApp, testEnv } from './support/ai-app.js';
import { startMongoProcess, type MongoProcess } from './support/mongo-process.js';
import { maxOverlap } from './support/overlap.js';

const JOBS = 1000;
const USERS = 20;
const USER_CONCURRENCY = 8;

describe('ai-jobs under load', () => {
  let fake: FakeOpenAI;
  let app: RunningApp & { db: Connection };
  let mongo: MongoProcess;

  beforeAll(async () => {
    [fake, mongo] = await Promise.all([FakeOpenAI.start(), startMongoProcess()]);
    fake.defaultStep = { latencyMs: 5 };
    const env = testEnv(fake, {
      AI_USER_CONCURRENCY: String(USER_CONCURRENCY),
      EVENTS_CONCURRENCY_OVERRIDES: '{"ai.jobs":64}',
      LOG_LEVEL: 'error',
      AI_TIMEOUT_MS: '30000',
      MONGO_URL: mongo.uri,
    });
    // No subscriber of the outcome events here (test/ai-jobs/provider checks them): the suite measures jobs.
    app = await bootAiApp('ai_load', env, false);
  });
  afterAll(async () => {
    await app?.close();
    await fake?.stop();
    await mongo?.stop();
  });

  it(`${JOBS} jobs submitted at once all complete or dead-letter; none is lost or run twice`, async () => {
    const jobs = api(app.url);
    // Every 25th job meets a 500, every 40th a 429 (both retried), every 100th a permanent 400.
    const plan = Array.from({ length: JOBS }, (_, i) => {
      const input = `load job ${i} of user ${i % USERS}`;
      if (i % 100 === 7) fake.script(input, { status: 400, message: 'refused by the fake' });
      else if (i % 25 === 3) fake.script(input, { status: 500, retryAfterMs: 10, latencyMs: 5 });
      else if (i % 40 === 5) fake.script(input, { status: 429, retryAfterMs: 20 });
      return { user: `load-user-${i % USERS}`, input, rejected: i % 100 === 7 };
    });
    const started = Date.now();
    const ids: string[] = Array.from({ length: JOBS }, () => '');
    let next = 0;
    await Promise.all(
      Array.from({ length: 100 }, async () => {
        while (next < JOBS) {
          const i = next++;
          const res = await jobs.post(plan[i]!.user, { task: 'summarize', input: plan[i]!.input });
          expect(res.status).toBe(202);
          ids[i] = res.body.id;
        }
      }),
    );
    const acceptedMs = Date.now() - started;
    const coll = app.db.collection('ai_jobs');
    await waitFor(async () => (await coll.countDocuments({ status: { $in: ['completed', 'failed'] } })) === JOBS, {
      timeoutMs: 150_000,
      intervalMs: 500,
      what: 'every job to end',
    });
    const doneMs = Date.now() - started;

    const rejected = plan.filter((p) => p.rejected).length;
    expect(await coll.countDocuments()).toBe(JOBS);
    expect(await coll.countDocuments({ status: 'completed' })).toBe(JOBS - rejected);
    const failed = await coll.find({ status: 'failed' }).toArray();
    expect(failed.map((j) => j._id.toHexString()).sort()).toEqual(ids.filter((_, i) => plan[i]!.rejected).sort());
    expect(await coll.countDocuments({ attempts: { $ne: 1 } })).toBe(0);

    // Run once: one successful provider answer per completed job, none for the others.
    const ok = new Map<string, number>();
    for (const r of fake.requests.filter((q) => q.status === 200)) ok.set(r.key, (ok.get(r.key) ?? 0) + 1);
    ids.forEach((id, i) => expect(ok.get(`ai-job-${id}`) ?? 0).toBe(plan[i]!.rejected ? 0 : 1));
    expect(fake.requests.length).toBe(
      JOBS + plan.filter((_, i) => !plan[i]!.rejected && (i % 25 === 3 || i % 40 === 5)).length,
    );

    // Failures are dead-lettered, with their error history.
    const dead = await app.db.collection('events_dead_letters').find({ subscriber: 'ai.jobs' }).toArray();
    expect(dead.map((d) => d.event.payload.jobId).sort()).toEqual(failed.map((j) => j._id.toHexString()).sort());
    expect(dead.every((d) => d.errorHistory.at(-1).message.includes('refused by the fake'))).toBe(true);

    // The per-user limit held at the provider.
    const userOf = new Map(ids.map((id, i) => [`ai-job-${id}`, plan[i]!.user]));
    const byUser = new Map<string, Array<[number, number]>>();
    for (const r of fake.requests)
      byUser.set(userOf.get(r.key)!, [...(byUser.get(userOf.get(r.key)!) ?? []), [r.at, r.endedAt ?? Date.now()]]);
    const peak = Math.max(...[...byUser.values()].map(maxOverlap));
    expect(peak).toBeLessThanOrEqual(USER_CONCURRENCY);
    console.log(
      `${JOBS} jobs: accepted in ${acceptedMs} ms, all final after ${doneMs} ms (${Math.round((JOBS * 1000) / doneMs)} jobs/s); ${rejected} failed and dead-lettered; provider peak concurrency ${fake.maxInFlight}, per user ${peak}`,
    );
  }, 200_000);
});
