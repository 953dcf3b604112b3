import type { Connection } from 'mongoose';
import { bearer } from '../support/auth/dev-tokens.js';
import type { RunningApp } from '../support/in-process-app.js';
import { FakeOpenAI } from '../support/openai/fake-openai.js';
import { api, bootAiApp, testEnv, type Api } from './support/ai-app.js';

const long = 'x'.repeat(2001);

describe('ai-jobs: the HTTP contract', () => {
  let fake: FakeOpenAI;
  let app: RunningApp & { db: Connection };
  let jobs: Api;
  const count = () => app.db.collection('ai_jobs').countDocuments();

  beforeAll(async () => {
    fake = await FakeOpenAI.start();
    app = await bootAiApp('ai_api', testEnv(fake));
    jobs = api(app.url);
  });
  afterAll(async () => {
    await app?.close();
    await fake?.stop();
  });

  it.each([
    ['an unknown task', { task: 'translate', input: 'hi' }, 'task'],
    ['no input', { task: 'summarize' }, 'input'],
    ['a summarize input that is not text', { task: 'summarize', input: [{ role: 'user', content: 'hi' }] }, 'input'],
    ['blank text', { task: 'summarize', input: '   ' }, 'input'],
    ['text over AI_MAX_INPUT_CHARS', { task: 'extract', input: long, options: { fields: ['a'] } }, 'input'],
    [
      'an option the task does not take',
      { task: 'summarize', input: 'hi', options: { labels: ['a', 'b'] } },
      'options.labels',
    ],
    ['a bad option value', { task: 'summarize', input: 'hi', options: { format: 'poem' } }, 'options.format'],
    [
      'maxTokens over AI_MAX_OUTPUT_TOKENS',
      { task: 'summarize', input: 'hi', options: { maxTokens: 513 } },
      'options.maxTokens',
    ],
    ['classify without labels', { task: 'classify', input: 'hi' }, 'options.labels'],
    ['classify with one label', { task: 'classify', input: 'hi', options: { labels: ['only'] } }, 'options.labels'],
    [
      'extract with a bad field name',
      { task: 'extract', input: 'hi', options: { fields: ['ok', 'not ok'] } },
      'options.fields',
    ],
    ['chat input that is text', { task: 'chat', input: 'hello' }, 'input'],
    ['a chat message with a bad role', { task: 'chat', input: [{ role: 'robot', content: 'hi' }] }, 'input.0.role'],
    [
      'chat ending with the assistant',
      {
        task: 'chat',
        input: [
          { role: 'user', content: 'hi' },
          { role: 'assistant', content: 'yo' },
        ],
      },
      'input.1.role',
    ],
    [
      'chat over the character cap',
      {
        task: 'chat',
        input: [
          { role: 'user', content: long.slice(1000) },
          { role: 'user', content: long.slice(1000) },
        ],
      },
      'input',
    ],
    [
      'chat temperature out of range',
      { task: 'chat', input: [{ role: 'user', content: 'hi' }], options: { temperature: 3 } },
      'options.temperature',
    ],
    ['options that are not an object', { task: 'summarize', input: 'hi', options: 'fast' }, 'options'],
    ['an unknown top-level field', { task: 'summarize', input: 'hi', priority: 1 }, 'priority'],
  ])('refuses %s with 400 naming the field, writing nothing', async (_what, body, field) => {
    const before = await count();
    const res = await jobs.post('alice', body);
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(res.body.type).toBe('urn:keel:problem:validation');
    expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
    expect(await count()).toBe(before);
  });

  it("another user can neither read, list, stream nor cancel someone's job (404)", async () => {
    const { body } = await jobs.post('alice', { task: 'summarize', input: 'private to alice' });
    expect((await jobs.get('mallory', `/${body.id}`)).status).toBe(404);
    expect((await jobs.del('mallory', body.id)).status).toBe(404);
    const stream = await fetch(`${app.url}/v1/ai/jobs/${body.id}/events`, { headers: await bearer('mallory') });
    expect(stream.status).toBe(404);
    expect((await jobs.get('mallory')).body.items.map((j: { id: string }) => j.id)).not.toContain(body.id);
    expect((await jobs.get('alice', `/${body.id}`)).status).toBe(200);
    expect((await jobs.get('alice', '/not-an-id')).body.errors[0].field).toBe('id');
    expect((await fetch(`${app.url}/v1/ai/jobs`)).status).toBe(401);
  });

  it("lists the caller's jobs newest first with an opaque cursor, filtered by status", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++)
      ids.push((await jobs.post('paula', { task: 'summarize', input: `page item ${i}` })).body.id);
    await Promise.all(ids.map((id) => jobs.waitFinal('paula', id)));
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const res = await jobs.get('paula', `?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.status).toBe(200);
      seen.push(...res.body.items.map((j: { id: string }) => j.id));
      cursor = res.body.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual([...ids].reverse());
    expect((await jobs.get('paula', '?status=completed&limit=100')).body.items).toHaveLength(5);
    expect((await jobs.get('paula', '?status=queued')).body).toEqual({ items: [] });
    expect((await jobs.get('paula', '?status=done')).body.errors[0].field).toBe('status');
    expect((await jobs.get('paula', '?limit=101')).body.errors[0].field).toBe('limit');
    expect((await jobs.get('paula', '?cursor=bm9wZQ')).body.errors[0].field).toBe('cursor');
  });

  it('a retried POST with the same Idempotency-Key creates one job', async () => {
    const before = await count();
    const headers = { 'idempotency-key': 'ai-submit-1' };
    const [a, b] = [
      await jobs.post('alice', { task: 'summarize', input: 'once' }, headers),
      await jobs.post('alice', { task: 'summarize', input: 'once' }, headers),
    ];
    expect(a.status).toBe(202);
    expect(b.body.id).toBe(a.body.id);
    expect(b.headers.get('idempotent-replayed')).toBe('true');
    expect(await count()).toBe(before + 1);
  });

  it('documents every route, DTO and problem answer in /docs', async () => {
    const doc = await (await fetch(`${app.url}/docs/json`)).json();
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/v1/ai/jobs', '/v1/ai/jobs/{id}', '/v1/ai/jobs/{id}/events']),
    );
    const post = doc.paths['/v1/ai/jobs'].post;
    expect(Object.keys(post.responses)).toEqual(expect.arrayContaining(['202', '400', '401', '503']));
    expect(doc.paths['/v1/ai/jobs/{id}'].delete.responses['404']).toBeDefined();
    expect(Object.keys(doc.components.schemas)).toEqual(
      expect.arrayContaining(['CreateAiJobDto', 'AiJobDto', 'ClassifyOptions', 'ChatMessageDto']),
    );
  });
});

describe('ai-jobs without a provider', () => {
  let app: RunningApp & { db: Connection };
  beforeAll(async () => {
    app = await bootAiApp('ai_unconfigured', testEnv(undefined));
  });
  afterAll(() => app?.close());

  it('answers 503 problem+json naming AI_BASE_URL on every route; the rest of keel keeps running', async () => {
    const jobs = api(app.url);
    for (const res of [
      await jobs.post('alice', { task: 'summarize', input: 'hi' }),
      await jobs.get('alice'),
      await jobs.get('alice', '/665f1c2e9b1e8a0012345678'),
    ]) {
      expect(res.status).toBe(503);
      expect(res.body).toMatchObject({ type: 'urn:keel:problem:not-configured', status: 503 });
      expect(res.body.detail).toContain('AI_BASE_URL');
    }
    expect(await app.db.collection('ai_jobs').countDocuments()).toBe(0);
    expect((await fetch(`${app.url}/health/ready`)).status).toBe(200);
  });
});
