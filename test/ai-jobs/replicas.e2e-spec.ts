import { EmbeddedMongoServer } from '../../src/platform/database/embedded/index.js';
import { bearer } from '../support/auth/dev-tokens.js';
import { spawnApp, type ChildApp } from '../support/child-app.js';
import { isolate } from '../support/isolation.js';
import { FakeOpenAI } from '../support/openai/fake-openai.js';
import { waitFor } from '../events/support/wait.js';
import { api, type Api } from './support/ai-app.js';
import { openSse } from '../support/sse.js';
import { maxOverlap } from './support/overlap.js';

const PER_MINUTE = 300; // 5 requests a second, bursts of 5
const INTERVAL_MS = 60_000 / PER_MINUTE;
const BURST = 5;

describe('ai-jobs across processes: one API replica, two workers, one MongoDB, one Redis', () => {
  let mongo: EmbeddedMongoServer | undefined;
  let fake: FakeOpenAI;
  let apiApp: ChildApp;
  let workers: ChildApp[] = [];
  let jobs: Api;
  let workerEnv: Record<string, string>;

  beforeAll(async () => {
    // One MongoDB for every process: MONGO_URL when set, else one embedded server in this process.
    if (!process.env.MONGO_URL)
      mongo = await EmbeddedMongoServer.start({ logger: { warn: () => undefined, error: (m) => console.error(m) } });
    fake = await FakeOpenAI.start();
    const iso = isolate('ai_replicas');
    const env = {
      ...iso.env,
      MONGO_URL: process.env.MONGO_URL ?? mongo!.uri(),
      AI_BASE_URL: fake.url,
      AI_API_KEY: fake.apiKey,
      AI_TIMEOUT_MS: '30000',
      AI_USER_CONCURRENCY: '2',
      AI_RATE_LIMIT_PER_MINUTE: String(PER_MINUTE),
      EVENTS_CONCURRENCY: '8',
      EVENTS_ATTEMPTS: '3',
      EVENTS_BACKOFF_MS: '100',
      // A SIGTERM drain gives active jobs about 1 s; jobs a stopped worker held are picked up after 5 s.
      SHUTDOWN_TIMEOUT_MS: '4000',
      EVENTS_LOCK_MS: '5000',
      RATE_LIMIT_MAX: '0',
    };
    workerEnv = env;
    [apiApp, ...workers] = await Promise.all([
      spawnApp('ai_replicas', { role: 'api', env, timeoutMs: 60_000 }),
      spawnApp('ai_replicas', { role: 'worker', env, timeoutMs: 60_000 }),
      spawnApp('ai_replicas', { role: 'worker', env, timeoutMs: 60_000 }),
    ]);
    jobs = api(apiApp.url);
  }, 120_000);

  afterAll(async () => {
    await Promise.all([apiApp, ...workers].filter(Boolean).map((a) => a.stop('SIGKILL')));
    await fake?.stop();
    await mongo?.stop();
  });

  it('the SSE stream on the API process follows a job that a worker process runs, to its end', async () => {
    fake.script('follow me', { reply: 'followed', latencyMs: 600 });
    const { body } = await jobs.post('ana', { task: 'summarize', input: 'follow me across processes' });
    const sse = await openSse(`${apiApp.url}/v1/ai/jobs/${body.id}/events`, await bearer('ana'));
    expect(sse.status).toBe(200);
    await Promise.race([
      sse.ended,
      new Promise((_, reject) => setTimeout(() => reject(new Error('stream did not end')), 20_000)),
    ]);
    const statuses = sse.events.map((e) => e.data.status);
    expect(statuses).toContain('running');
    expect(statuses.at(-1)).toBe('completed');
    expect(sse.events.at(-1)!.data).toMatchObject({ id: body.id, result: { text: 'followed' }, providerCalls: 1 });
  });

  it('DELETE on the API process aborts the provider call held by a worker process', async () => {
    fake.script('hold the line', { hang: true });
    const { body } = await jobs.post('ana', { task: 'summarize', input: 'hold the line' });
    const call = await waitFor(() => fake.matching('hold the line')[0], { what: 'the call to reach the provider' });
    const sse = await openSse(`${apiApp.url}/v1/ai/jobs/${body.id}/events`, await bearer('ana'));
    expect((await jobs.del('ana', body.id)).status).toBe(202);
    await waitFor(() => call.clientClosed, { timeoutMs: 10_000, what: 'the worker to abort the call' });
    await sse.ended;
    expect(sse.events.at(-1)!.data).toMatchObject({ status: 'cancelled', cancelRequested: true });
    expect((await jobs.get('bob', `/${body.id}`)).status).toBe(404);
    expect((await jobs.del('bob', body.id)).status).toBe(404);
  });

  it('both workers share the per-user concurrency limit and the global rate limit, and run each job once', async () => {
    fake.reset();
    fake.defaultStep = { latencyMs: 150 };
    const users = ['u1', 'u2', 'u3', 'u4', 'u5'];
    const submitted = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        jobs.post(users[i % 5]!, { task: 'summarize', input: `shared limits ${i}` }),
      ),
    );
    const ids = submitted.map((r) => r.body.id as string);
    const done = await Promise.all(ids.map((id, i) => jobs.waitFinal(users[i % 5]!, id, 60_000)));
    expect(done.every((j) => j.status === 'completed' && j.providerCalls === 1)).toBe(true);

    const reqs = fake.requests.filter((r) => r.content.startsWith('shared limits'));
    expect(reqs).toHaveLength(30);
    expect(new Set(reqs.map((r) => r.key)).size).toBe(30);
    const userOf = new Map(ids.map((id, i) => [`ai-job-${id}`, users[i % 5]!]));
    for (const u of users) {
      expect(
        maxOverlap(reqs.filter((r) => userOf.get(r.key) === u).map((r) => [r.at, r.endedAt!])),
      ).toBeLessThanOrEqual(2);
    }
    // GCRA: any n consecutive requests span at least (n - BURST) intervals (one of slack for network jitter).
    const starts = reqs.map((r) => r.at).sort((a, b) => a - b);
    for (let i = 0; i < starts.length; i++) {
      for (let j = i + BURST + 1; j < starts.length; j++) {
        expect(starts[j]! - starts[i]!).toBeGreaterThanOrEqual((j - i - BURST - 1) * INTERVAL_MS);
      }
    }
    expect(starts.at(-1)! - starts[0]!).toBeGreaterThanOrEqual((30 - BURST - 1) * INTERVAL_MS);
  }, 90_000);

  it('a worker stopped mid-call gives the job back at its drain bound; the other worker completes it', async () => {
    fake.script('survive a scale-in', { hang: true }, { reply: 'finished elsewhere' });
    const { body } = await jobs.post('ana', { task: 'summarize', input: 'survive a scale-in' });
    const first = await waitFor(() => fake.matching('survive a scale-in')[0], { what: 'the call to start' });
    // Either worker may hold the call. Stop one; if the call is still open the other holds it: start a
    // replacement, then stop that one. The holder's drain waits for the call until its bound, then aborts
    // it and exits 1 (work was cut short); the job goes back to the queue.
    const [a, b] = workers as [ChildApp, ChildApp];
    const codeA = await a.stop('SIGTERM');
    workers = [b];
    if (first.clientClosed) expect(codeA).toBe(1);
    else {
      expect(codeA).toBe(0);
      workers = [b, await spawnApp('ai_replicas', { role: 'worker', env: workerEnv, timeoutMs: 60_000 })];
      expect(await b.stop('SIGTERM')).toBe(1);
      workers = workers.slice(1);
    }
    expect(first.clientClosed).toBe(true);
    const job = await jobs.waitFinal('ana', body.id, 30_000);
    // The interrupted request counts too.
    expect(job).toMatchObject({ status: 'completed', result: { text: 'finished elsewhere' }, providerCalls: 2 });
    expect(fake.matching('survive a scale-in')).toHaveLength(2);
  }, 60_000);

  it('a worker killed mid-call: after its lock and lease run out another worker takes the job over once', async () => {
    workers.push(await spawnApp('ai_replicas', { role: 'worker', env: workerEnv, timeoutMs: 60_000 }));
    fake.script('survive a crash', { hang: true }, { reply: 'recovered' });
    const { body } = await jobs.post('ana', { task: 'summarize', input: 'survive a crash' });
    const first = await waitFor(() => fake.matching('survive a crash')[0], { what: 'the call to start' });
    const [a, b] = workers as [ChildApp, ChildApp];
    await a.stop('SIGKILL');
    workers = [b];
    await waitFor(() => first.clientClosed, { timeoutMs: 2000, what: 'the connection to drop' }).catch(() => undefined);
    if (!first.clientClosed) {
      workers = [b, await spawnApp('ai_replicas', { role: 'worker', env: workerEnv, timeoutMs: 60_000 })];
      await b.stop('SIGKILL');
      workers = workers.slice(1);
    }
    await waitFor(() => first.clientClosed, { timeoutMs: 5000, what: 'the killed worker to drop the call' });
    const job = await jobs.waitFinal('ana', body.id, 75_000);
    expect(job).toMatchObject({ status: 'completed', result: { text: 'recovered' }, attempts: 2 });
    expect(fake.matching('survive a crash')).toHaveLength(2);
  }, 120_000);

  it('SIGTERM on the API process ends its open status streams cleanly and exits 0', async () => {
    fake.script('outlive the api', { hang: true });
    const { body } = await jobs.post('ana', { task: 'summarize', input: 'outlive the api' });
    await waitFor(() => fake.matching('outlive the api')[0], { what: 'the call to start' });
    const sse = await openSse(`${apiApp.url}/v1/ai/jobs/${body.id}/events`, await bearer('ana'));
    await waitFor(() => sse.events.length > 0, { what: 'the first status event' });
    const order: string[] = [];
    void sse.ended.then(() => order.push('stream ended'));
    void apiApp.exited.then(() => order.push('process exited'));
    const code = apiApp.stop('SIGTERM');
    await Promise.race([
      sse.ended,
      new Promise((_, reject) => setTimeout(() => reject(new Error('stream not ended by the drain')), 10_000)),
    ]);
    expect(await code).toBe(0);
    // The drain ended the stream (a complete chunked response), before the process went away.
    expect(order).toEqual(['stream ended', 'process exited']);
    expect(sse.events.at(-1)!.data.status).toBe('running');
  });
});
