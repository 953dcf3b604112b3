import { MongoTarget } from '../../src/platform/database/index.js';
import type { RunningApp } from '../support/in-process-app.js';
import { bearer } from '../support/auth/dev-tokens.js';
import { bootNotesApp, call } from './http-app.js';

describe('MongoDB unavailable', () => {
  let app: RunningApp;
  beforeAll(async () => {
    app = await bootNotesApp('http_mongo_down', { BOOT_TIMEOUT_MS: '1000' });
  });
  afterAll(async () => app?.close());

  it('answers 503 problem+json with Retry-After, promptly and without internals', async () => {
    const alice = await bearer('alice');
    expect((await call(`${app.url}/v1/notes`, { headers: alice })).status).toBe(200);
    await app.app.get(MongoTarget).embedded!.stop();

    const requests: Array<[string, RequestInit & { json?: unknown }]> = [
      ['/v1/notes', { headers: alice }],
      ['/v1/notes', { method: 'POST', headers: alice, json: { title: 'while down' } }],
      [
        '/v1/notes',
        {
          method: 'POST',
          headers: { ...alice, 'Idempotency-Key': 'down-1' },
          json: { title: 'while down' },
        },
      ],
    ];
    for (const [path, init] of requests) {
      const started = Date.now();
      const res = await call(`${app.url}${path}`, init);
      expect(res.status, `${init.method ?? 'GET'} ${path}`).toBe(503);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(res.body.type).toBe('urn:keel:problem:service-unavailable');
      expect(res.text).not.toMatch(/Mongo|ECONNREFUSED|127\.0\.0\.1|topology/i);
      expect(Date.now() - started).toBeLessThan(4000);
    }
  });
});
