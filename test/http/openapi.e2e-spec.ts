import type { RunningApp } from '../support/in-process-app.js';
import { bootNotesApp, call } from './http-app.js';

describe('OpenAPI at /docs', () => {
  let app: RunningApp;
  let doc: any;
  beforeAll(async () => {
    app = await bootNotesApp('http_openapi');
    doc = (await call(`${app.url}/docs/json`)).body;
  });
  afterAll(async () => app?.close());

  it('serves the UI and the document without a token', async () => {
    const ui = await call(`${app.url}/docs`);
    expect(ui.status).toBe(200);
    expect(ui.headers.get('content-type')).toMatch(/text\/html/);
    expect((await call(`${app.url}/docs/yaml`)).status).toBe(200);
    expect(doc.openapi).toMatch(/^3\./);
  });

  it('declares bearer auth globally and none on public routes', () => {
    expect(doc.components.securitySchemes.bearer).toMatchObject({
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'JWT',
    });
    expect(doc.security).toEqual([{ bearer: [] }]);
    expect(doc.paths['/v1/ping'].get.security).toEqual([]);
    expect(doc.paths['/health/live'].get.security).toEqual([]);
    expect(doc.paths['/v1/notes'].get.security).toBeUndefined();
    expect(JSON.stringify(doc)).not.toContain('x-keel-public');
  });

  it('documents every DTO', () => {
    for (const name of ['CreateNoteDto', 'NoteDto', 'NoteStatsDto']) expect(doc.components.schemas[name]).toBeDefined();
    expect(doc.components.schemas.CreateNoteDto.required).toContain('title');
    const create = doc.paths['/v1/notes'].post;
    expect(create.requestBody.content['application/json'].schema.$ref).toBe('#/components/schemas/CreateNoteDto');
    expect(doc.paths['/v1/notes'].get.parameters.map((p: { name: string }) => p.name)).toContain('limit');
  });

  it('documents the problem answers of every operation', () => {
    expect(doc.components.schemas.ProblemDetails.required).toEqual(['type', 'title', 'status', 'detail']);
    for (const [path, item] of Object.entries<any>(doc.paths)) {
      for (const [method, op] of Object.entries<any>(item)) {
        const statuses = Object.keys(op.responses);
        expect(statuses, `${method} ${path}`).toEqual(expect.arrayContaining(['400', '500', '503']));
        if (!op.security) expect(statuses, `${method} ${path}`).toContain('401');
        if (path.startsWith('/admin')) expect(statuses).toContain('403');
        if (path.includes('{')) expect(statuses).toContain('404');
      }
    }
    const problem = doc.components.responses.Problem401;
    expect(problem.content['application/problem+json'].schema.$ref).toBe('#/components/schemas/ProblemDetails');
    expect(problem.headers['WWW-Authenticate']).toBeDefined();
    expect(doc.components.responses.Problem429.headers['Retry-After']).toBeDefined();
  });

  it('documents Idempotency-Key on every POST, and the replay header', () => {
    const posts = Object.entries<any>(doc.paths).filter(([, item]) => item.post);
    expect(posts.length).toBeGreaterThan(0);
    for (const [path, item] of posts) {
      expect(item.post.parameters, path).toContainEqual({
        $ref: '#/components/parameters/IdempotencyKey',
      });
      expect(Object.keys(item.post.responses)).toEqual(expect.arrayContaining(['409', '422']));
    }
    expect(doc.components.parameters.IdempotencyKey).toMatchObject({
      name: 'Idempotency-Key',
      in: 'header',
    });
    expect(doc.paths['/v1/notes'].post.responses['201'].headers['Idempotent-Replayed']).toBeDefined();
  });
});
