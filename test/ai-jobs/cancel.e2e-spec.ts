import type { Connection } from 'mongoose';
import { bearer } from '../support/auth/dev-tokens.js';
import type { RunningApp } from '../support/in-process-app.js';
import { FakeOpenAI } from '../support/openai/fake-openai.js';
import { sleep, waitFor } from '../events/support/wait.js';
import { api, bootAiApp, testEnv, type Api } from './support/ai-app.js';
import { openSse } from '../support/sse.js';

describe('ai-jobs: cancellation, per-user concurrency and the status stream (one process)', () => {
  let fake: FakeOpenAI;
  let app: RunningApp & { db: Connection };
  let jobs: Api;
  const inFlight = (text: string) => fake.matching(text).filter((r) => r.endedAt === undefined).length;

  beforeAll(async () => {
    fake = await FakeOpenAI.start();
    // A long provider timeout: these calls hang until they are cancelled.
    app = await bootAiApp('ai_cancel', testEnv(fake, { AI_TIMEOUT_MS: '60000', AI_USER_CONCURRENCY: '2' }));
    jobs = api(app.url);
  });
  afterAll(async () => {
    await app?.close();
    await fake?.stop();
  });

  it('cancelling a running job aborts the in-flight provider call; it ends cancelled with ai.job.cancelled', async () => {
    fake.script('cancel me midway', { hang: true });
    const { body } = await jobs.post('carol', { task: 'chat', input: [{ role: 'user', content: 'cancel me midway' }] });
    await waitFor(() => inFlight('cancel me midway') === 1, { what: 'the call to reach the provider' });

    const cancelledAt = Date.now();
    const res = await jobs.del('carol', body.id);
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ id: body.id, status: 'running', cancelRequested: true });
    const job = await jobs.waitFinal('carol', body.id, 5000);
    expect(job).toMatchObject({ status: 'cancelled', providerCalls: 1, progress: 100 });
    expect(job.result).toBeUndefined();
    const [call] = fake.matching('cancel me midway');
    expect(call!.clientClosed).toBe(true);
    expect(call!.endedAt).toBeGreaterThanOrEqual(cancelledAt);
    await waitFor(() => app.db.collection('test_ai_outcomes').findOne({ jobId: body.id, type: 'ai.job.cancelled' }), {
      what: 'ai.job.cancelled',
    });

    // Cancelling again is harmless; the job stays cancelled and nothing else is called.
    expect((await jobs.del('carol', body.id)).body).toMatchObject({ status: 'cancelled' });
    await sleep(300);
    expect(fake.matching('cancel me midway')).toHaveLength(1);
  });

  it('runs at most AI_USER_CONCURRENCY jobs of a user at once; a queued job cancels at once and never calls', async () => {
    fake.script('slot holder', { hang: true }, { hang: true });
    const holders = await Promise.all(
      [1, 2].map((n) => jobs.post('dave', { task: 'summarize', input: `slot holder ${n}` })),
    );
    await waitFor(() => inFlight('slot holder') === 2, { what: 'two calls in flight' });
    const waiting = await jobs.post('dave', { task: 'summarize', input: 'third in line' });
    // Another user is not held up by dave's slots.
    const other = await jobs.post('erin', { task: 'summarize', input: 'erin is not blocked' });
    expect((await jobs.waitFinal('erin', other.body.id)).status).toBe('completed');
    await sleep(500);
    expect(fake.matching('third in line')).toHaveLength(0);
    expect((await jobs.get('dave', `/${waiting.body.id}`)).body.status).toBe('queued');

    const res = await jobs.del('dave', waiting.body.id);
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ status: 'cancelled', attempts: 0, providerCalls: 0 });
    for (const h of holders) await jobs.del('dave', h.body.id);
    await Promise.all(holders.map((h) => jobs.waitFinal('dave', h.body.id, 5000)));
    await sleep(500);
    expect(fake.matching('third in line')).toHaveLength(0);
    expect(fake.matching('slot holder').every((r) => r.clientClosed)).toBe(true);
  });

  it('a finished job cannot be cancelled (409)', async () => {
    const { body } = await jobs.post('carol', { task: 'summarize', input: 'finish quickly' });
    await jobs.waitFinal('carol', body.id);
    const res = await jobs.del('carol', body.id);
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ type: 'urn:keel:problem:conflict', detail: expect.stringContaining('completed') });
  });

  it('streams status changes over SSE until the job is final', async () => {
    fake.script('stream this', { reply: 'streamed', latencyMs: 400 });
    const { body } = await jobs.post('carol', { task: 'summarize', input: 'stream this' });
    const sse = await openSse(`${app.url}/v1/ai/jobs/${body.id}/events`, await bearer('carol'));
    expect(sse.status).toBe(200);
    await sse.ended;
    const statuses = sse.events.map((e) => e.data.status);
    expect(statuses.at(-1)).toBe('completed');
    expect(statuses).toContain('running');
    expect(sse.events.every((e) => e.event === 'status')).toBe(true);
    const versions = sse.events.map((e) => Number(e.id));
    expect(versions).toEqual([...versions].sort((a, b) => a - b));
    expect(new Set(versions).size).toBe(versions.length);
    expect(sse.events.at(-1)!.data).toMatchObject({ id: body.id, result: { text: 'streamed' } });
  });
});
