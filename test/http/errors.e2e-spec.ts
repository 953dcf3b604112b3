import type { RunningApp } from '../support/in-process-app.js';
import { bearer } from '../support/auth/dev-tokens.js';
import { bootNotesApp, call } from './http-app.js';

function expectProblem(res: Awaited<ReturnType<typeof call>>, status: number) {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(res.body).toMatchObject({
    status,
    type: expect.stringMatching(/^urn:keel:problem:/),
  });
  expect(typeof res.body.title).toBe('string');
  expect(typeof res.body.detail).toBe('string');
  expect(res.body.instance).toMatch(/^\//);
  expect(res.body.correlationId).toBe(res.headers.get('x-request-id'));
  expect(res.text).not.toMatch(/\bat \w+.*\(|node_modules|\/src\/|\.ts:\d+|Mongo\w*Error|E11000/);
}

describe('validation and error answers', () => {
  let app: RunningApp;
  let auth: Record<string, string>;
  beforeAll(async () => {
    app = await bootNotesApp('http_errors', { HTTP_BODY_LIMIT: '2048' });
    auth = await bearer('alice');
  });
  afterAll(async () => app?.close());

  const post = (body: BodyInit, contentType?: string) =>
    call(`${app.url}/v1/notes`, {
      method: 'POST',
      body,
      headers: {
        ...auth,
        ...(contentType ? { 'content-type': contentType } : {}),
      },
    });

  it('malformed JSON: 400', async () => {
    const res = await post('{"title": "x",', 'application/json');
    expectProblem(res, 400);
    expect(res.body.detail).toMatch(/not valid JSON/);
  });

  it('wrong content type: 415', async () => {
    expectProblem(await post('title=x', 'application/x-www-form-urlencoded; charset=utf-8'), 415);
    expectProblem(await post('title', 'text/plain'), 415);
    expectProblem(await post('<note/>', 'application/xml'), 415);
  });

  it('body over the limit: 413', async () => {
    const res = await post(JSON.stringify({ title: 'x', body: 'y'.repeat(4096) }), 'application/json');
    expectProblem(res, 413);
  });

  it('unknown fields are rejected by name', async () => {
    const res = await call(`${app.url}/v1/notes`, {
      method: 'POST',
      headers: auth,
      json: { title: 'x', admin: true },
    });
    expectProblem(res, 400);
    expect(res.body.errors).toEqual([{ field: 'admin', message: 'is not an accepted field' }]);
  });

  it('invalid and missing fields are listed with their paths', async () => {
    const res = await call(`${app.url}/v1/notes`, {
      method: 'POST',
      headers: auth,
      json: { body: 5, tags: ['a', 7] },
    });
    expectProblem(res, 400);
    const fields = res.body.errors.map((e: { field: string }) => e.field);
    expect(fields).toEqual(expect.arrayContaining(['title', 'body', 'tags']));
    expect(res.body.type).toBe('urn:keel:problem:validation');
  });

  it('a body that is not an object: 400', async () => {
    for (const body of ['[]', '"text"', '42', 'null']) {
      expectProblem(await post(body, 'application/json'), 400);
    }
  });

  it('a body nested too deep: 400 before anything recurses into it', async () => {
    const res = await post(`${'['.repeat(500)}${']'.repeat(500)}`, 'application/json');
    expectProblem(res, 400);
    expect(res.body.errors).toEqual([
      {
        field: 'body',
        message: expect.stringMatching(/nested deeper than 32/),
      },
    ]);
  });

  it('an empty body: 400', async () => {
    expectProblem(await post('', 'application/json'), 400);
    expectProblem(await call(`${app.url}/v1/notes`, { method: 'POST', headers: auth }), 400);
  });

  it('bad query parameters: 400 naming the parameter', async () => {
    for (const q of ['limit=abc', 'limit=0', 'limit=1000', 'other=1']) {
      const res = await call(`${app.url}/v1/notes?${q}`, { headers: auth });
      expectProblem(res, 400);
      expect(res.body.errors[0].field).toMatch(/limit|other/);
    }
  });

  it('invalid ObjectId in the path: 400 naming the parameter', async () => {
    const res = await call(`${app.url}/v1/notes/not-an-id`, { headers: auth });
    expectProblem(res, 400);
    expect(res.body.errors).toEqual([{ field: 'id', message: expect.stringMatching(/ObjectId/) }]);
  });

  it('unknown route: 404, without echoing the query string', async () => {
    const res = await call(`${app.url}/v1/nothing-here?token=secret`, {
      headers: auth,
    });
    expectProblem(res, 404);
    expect(res.text).not.toContain('secret');
  });

  it('a business rule: 422 with the feature title', async () => {
    const res = await call(`${app.url}/v1/notes`, {
      method: 'POST',
      headers: auth,
      json: { title: 'forbidden' },
    });
    expectProblem(res, 422);
    expect(res.body).toMatchObject({
      title: 'Title not allowed',
      type: 'urn:keel:problem:business-rule',
    });
  });

  it('a duplicate key escaping the service: 409', async () => {
    await call(`${app.url}/v1/notes`, {
      method: 'POST',
      headers: auth,
      json: { title: 'unique' },
    });
    const res = await call(`${app.url}/v1/notes`, {
      method: 'POST',
      headers: auth,
      json: { title: 'unique' },
    });
    expectProblem(res, 409);
  });

  it('an unexpected error: generic 500 that leaks nothing', async () => {
    const res = await call(`${app.url}/v1/notes`, {
      method: 'POST',
      headers: auth,
      json: { title: 'explode' },
    });
    expectProblem(res, 500);
    expect(res.text).not.toMatch(/ECONNREFUSED|secret\.sock|NotesService/);
    expect(res.body.detail).toMatch(/correlationId/);
  });
});
