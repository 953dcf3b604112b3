import type { RunningApp } from '../support/in-process-app.js';
import { FakeOpenAI } from '../support/openai/fake-openai.js';
import { waitFor } from '../events/support/wait.js';
import { api, bootAiApp, testEnv, type Api } from './support/ai-app.js';

const gapMs = (a: { endedAt?: number }, b: { at: number }) => b.at - a.endedAt!;

describe('ai-jobs: running jobs against an OpenAI-compatible provider', () => {
  let fake: FakeOpenAI;
  let app: RunningApp & { db: import('mongoose').Connection };
  let jobs: Api;
  const outcomes = (jobId: string) => app.db.collection('test_ai_outcomes').find({ jobId }).toArray();

  beforeAll(async () => {
    fake = await FakeOpenAI.start();
    app = await bootAiApp('ai_jobs', testEnv(fake));
    jobs = api(app.url);
  });
  afterAll(async () => {
    await app?.close();
    await fake?.stop();
  });

  it('accepts a job with 202, runs it in a worker and stores result, usage, attempts and timings', async () => {
    fake.script('the quick brown fox', { reply: 'A fox jumps.', latencyMs: 50 });
    const res = await jobs.post('alice', {
      task: 'summarize',
      input: 'the quick brown fox jumps over the lazy dog',
      options: { maxWords: 20 },
    });
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ id: expect.stringMatching(/^[0-9a-f]{24}$/), status: 'queued' });
    expect(res.headers.get('location')).toBe(`/v1/ai/jobs/${res.body.id}`);

    const job = await jobs.waitFinal('alice', res.body.id);
    expect(job).toMatchObject({
      id: res.body.id,
      task: 'summarize',
      status: 'completed',
      progress: 100,
      options: { maxWords: 20 },
      result: { text: 'A fox jumps.' },
      attempts: 1,
      providerCalls: 1,
      cancelRequested: false,
      model: 'gpt-4o-mini',
      usage: { promptTokens: expect.any(Number), completionTokens: 3, totalTokens: expect.any(Number) },
    });
    expect(job.error).toBeUndefined();
    expect(job.timings.runMs).toBeGreaterThanOrEqual(40);
    expect(job.timings.queuedMs).toBeGreaterThanOrEqual(0);
    const [call] = fake.forKey(`ai-job-${job.id}`);
    expect(call!.body).toMatchObject({ model: 'gpt-4o-mini', max_tokens: 512 });
    expect(call!.body.messages[0].content).toContain('at most 20 words');

    await waitFor(async () => (await outcomes(job.id)).length === 1, { what: 'ai.job.completed' });
    const [event] = await outcomes(job.id);
    expect(event).toMatchObject({
      type: 'ai.job.completed',
      actorId: 'alice',
      payload: { jobId: job.id, ownerId: 'alice', task: 'summarize', result: { text: 'A fox jumps.' }, attempts: 1 },
    });
  });

  it('classify and extract parse the JSON reply into labels and data', async () => {
    fake.script('invoice 42', { reply: '{"labels": ["billing", "nonsense"]}' });
    fake.script('Ada Lovelace', { reply: '{"name": "Ada Lovelace", "year": 1843, "extra": true}' });
    const c = await jobs.post('alice', {
      task: 'classify',
      input: 'invoice 42 is wrong',
      options: { labels: ['billing', 'shipping'] },
    });
    const e = await jobs.post('alice', {
      task: 'extract',
      input: 'Ada Lovelace wrote it in 1843',
      options: { fields: ['name', 'year', 'city'] },
    });
    const [classified, extracted] = await Promise.all([
      jobs.waitFinal('alice', c.body.id),
      jobs.waitFinal('alice', e.body.id),
    ]);
    expect(classified).toMatchObject({ status: 'completed', result: { labels: ['billing'] } });
    expect(extracted).toMatchObject({
      status: 'completed',
      result: { data: { name: 'Ada Lovelace', year: 1843, city: null } },
    });
    expect(fake.matching('invoice 42')[0]!.body.response_format).toEqual({ type: 'json_object' });
  });

  it('a 429 is retried after its Retry-After, a 500 after backoff, within one attempt', async () => {
    fake.script('limited please', { status: 429, retryAfter: '1' });
    fake.script('broken once', { status: 500, retryAfterMs: 50 });
    const a = await jobs.post('alice', { task: 'summarize', input: 'limited please' });
    const b = await jobs.post('alice', { task: 'summarize', input: 'broken once' });
    const [limited, broken] = await Promise.all([
      jobs.waitFinal('alice', a.body.id),
      jobs.waitFinal('alice', b.body.id),
    ]);
    expect(limited).toMatchObject({ status: 'completed', attempts: 1, providerCalls: 2 });
    expect(broken).toMatchObject({ status: 'completed', attempts: 1, providerCalls: 2 });
    const [first, retry] = fake.forKey(`ai-job-${limited.id}`);
    expect(first!.status).toBe(429);
    expect(gapMs(first!, retry!)).toBeGreaterThanOrEqual(950);
  });

  it('a hanging call times out (AI_TIMEOUT_MS) and is retried; the hung request is abandoned', async () => {
    fake.script('hang once', { hang: true });
    const res = await jobs.post('alice', { task: 'summarize', input: 'hang once then answer' });
    const job = await jobs.waitFinal('alice', res.body.id);
    expect(job).toMatchObject({
      status: 'completed',
      attempts: 1,
      providerCalls: 2,
      result: { text: expect.stringContaining('echo: hang once') },
    });
    const [hung, answered] = fake.forKey(`ai-job-${job.id}`);
    expect(hung!.clientClosed).toBe(true);
    expect(hung!.endedAt! - hung!.at).toBeGreaterThanOrEqual(900);
    expect(answered!.status).toBe(200);
  });

  it('when every retry fails the bus retries the job (EVENTS_ATTEMPTS), then it fails, publishes ai.job.failed and is dead-lettered', async () => {
    fake.script('always down', ...Array.from({ length: 6 }, () => ({ status: 503, retryAfterMs: 10 })));
    const res = await jobs.post('alice', { task: 'summarize', input: 'always down' });
    const job = await jobs.waitFinal('alice', res.body.id);
    expect(job).toMatchObject({
      status: 'failed',
      attempts: 3,
      providerCalls: 6,
      error: { code: 'server', status: 503, retryable: true },
    });
    await waitFor(async () => (await outcomes(job.id)).length === 1, { what: 'ai.job.failed' });
    expect((await outcomes(job.id))[0]).toMatchObject({
      type: 'ai.job.failed',
      payload: { error: { code: 'server', status: 503 }, attempts: 3 },
    });
    const dl = await waitFor(
      () => app.db.collection('events_dead_letters').findOne({ 'event.payload.jobId': job.id }),
      { what: 'dead letter' },
    );
    expect(dl).toMatchObject({ subscriber: 'ai.jobs', attempts: 3 });
  });

  it('another 4xx is permanent: no retry, failed at once, dead-lettered; so is a reply that is not what was asked for', async () => {
    fake.script('too long for the model', { status: 400, message: "This model's maximum context length is 8 tokens" });
    fake.script('pick nothing', { reply: '{"labels": ["unknown"]}' });
    const a = await jobs.post('alice', { task: 'summarize', input: 'too long for the model' });
    const b = await jobs.post('alice', { task: 'classify', input: 'pick nothing', options: { labels: ['x', 'y'] } });
    const [rejected, invalid] = await Promise.all([
      jobs.waitFinal('alice', a.body.id),
      jobs.waitFinal('alice', b.body.id),
    ]);
    expect(rejected).toMatchObject({
      status: 'failed',
      attempts: 1,
      providerCalls: 1,
      error: { code: 'rejected', status: 400, retryable: false },
    });
    expect(rejected.error.message).toContain('maximum context length');
    expect(invalid).toMatchObject({
      status: 'failed',
      attempts: 1,
      providerCalls: 1,
      error: { code: 'invalid-output', retryable: false },
    });
    for (const id of [rejected.id, invalid.id]) {
      await waitFor(() => app.db.collection('events_dead_letters').findOne({ 'event.payload.jobId': id }), {
        what: 'dead letter',
      });
    }
  });
});
