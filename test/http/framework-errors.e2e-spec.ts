import { rawRequest } from '../faults/support/raw-http.js';
import type { RunningApp } from '../support/in-process-app.js';
import { bootNotesApp } from './http-app.js';

/**
 * What Node's HTTP parser (clientErrorHandler) and Fastify's router (frameworkErrors) reject before any
 * route or Nest filter runs must still be problem+json with a correlation id, not their own shapes or a
 * bare closed socket. Written byte for byte: fetch refuses to send most of these.
 */
describe('framework and client errors as problem+json', () => {
  let app: RunningApp;
  let port: number;
  beforeAll(async () => {
    app = await bootNotesApp('http_framework_errors');
    port = Number(new URL(app.url).port);
  });
  afterAll(async () => app?.close());

  const cases: Array<[string, number, Parameters<typeof rawRequest>[1]]> = [
    ['a malformed percent escape in the URL', 400, { method: 'GET', target: '/v1/notes/%zz', headers: [] }],
    ['an over-long path parameter', 414, { method: 'GET', target: `/v1/notes/${'a'.repeat(3000)}`, headers: [] }],
    [
      'headers over the size limit',
      431,
      {
        method: 'GET',
        target: '/v1/notes',
        headers: [['x-big', 'a'.repeat(20_000)]],
      },
    ],
    ['a raw space in the request-target', 400, { method: 'GET', target: '/v1/no tes', headers: [] }],
    ['raw non-ASCII bytes in the request-target', 400, { method: 'GET', target: '/v1/notes/\xff\xfe', headers: [] }],
    ['an invalid method token', 400, { method: 'G@T', target: '/v1/notes', headers: [] }],
    ['a control character in a header', 400, { method: 'GET', target: '/v1/notes', headers: [['x-a', 'a\x01b']] }],
    [
      'Content-Length with Transfer-Encoding',
      400,
      {
        method: 'POST',
        target: '/v1/notes',
        headers: [
          ['content-length', '5'],
          ['transfer-encoding', 'chunked'],
        ],
        body: Buffer.from('0\r\n\r\n'),
      },
    ],
    [
      'a bad chunk size',
      400,
      {
        method: 'POST',
        target: '/v1/notes',
        headers: [
          ['content-type', 'application/json'],
          ['transfer-encoding', 'chunked'],
        ],
        body: Buffer.from('zz\r\n{}\r\n0\r\n\r\n'),
      },
    ],
  ];

  it.each(cases)('%s: %i problem+json', async (_name, status, req) => {
    const res = await rawRequest(port, req, 10_000);
    expect(res.status).toBe(status);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    const body = JSON.parse(res.body.toString()) as Record<string, unknown>;
    expect(body).toMatchObject({
      status,
      type: expect.stringMatching(/^urn:keel:problem:/),
    });
    expect(typeof body.title).toBe('string');
    expect(typeof body.detail).toBe('string');
    expect(body.correlationId).toBe(res.headers['x-request-id']);
  });
});
