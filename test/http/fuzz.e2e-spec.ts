import fc from 'fast-check';
import type { RunningApp } from '../support/in-process-app.js';
import { devToken } from '../support/auth/dev-tokens.js';
import { bootNotesApp } from './http-app.js';

/** Sends a request; a header value fetch itself refuses never reaches the server, so it is skipped. */
async function send(url: string, init: RequestInit): Promise<Response | undefined> {
  try {
    return await fetch(url, init);
  } catch (err) {
    if (
      err instanceof TypeError &&
      /header|ByteString|invalid/i.test(String((err as Error).message) + String(err.cause))
    )
      return undefined;
    throw err;
  }
}

async function expectClean(res: Response | undefined, label: string): Promise<void> {
  if (!res) return;
  const text = await res.text();
  expect(res.status, `${label} -> ${res.status} ${text.slice(0, 300)}`).toBeLessThan(500);
  if (res.status >= 400) {
    expect(res.headers.get('content-type'), label).toMatch(/^application\/problem\+json/);
    expect(text, label).not.toMatch(/node_modules|\.ts:\d+|\bat \w+ \(/);
  }
}

describe('fuzzing the test resource: malformed input never answers 5xx', () => {
  let app: RunningApp;
  let auth: string;
  beforeAll(async () => {
    app = await bootNotesApp('http_fuzz', {
      RATE_LIMIT_MAX: '0',
      HTTP_BODY_LIMIT: '65536',
    });
    auth = `Bearer ${await devToken('fuzzer')}`;
  });
  afterAll(async () => app?.close());

  const contentTypes = fc.constantFrom(
    'application/json',
    'application/json; charset=utf-8',
    'application/json; charset=latin1',
    'application/problem+json',
    'text/plain',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=xyz',
    'application/xml',
    '',
    'application/json\t;;;',
  );

  it('arbitrary JSON bodies, with and without Idempotency-Key', async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue({ maxDepth: 4 }), fc.option(fc.string({ maxLength: 300 })), async (body, key) => {
        const headers: Record<string, string> = {
          authorization: auth,
          'content-type': 'application/json',
        };
        if (key !== null) headers['idempotency-key'] = key;
        await expectClean(
          await send(`${app.url}/v1/notes`, {
            method: 'POST',
            headers,
            body: JSON.stringify(body),
          }),
          JSON.stringify(body),
        );
      }),
      { numRuns: 150 },
    );
  });

  it('note-shaped bodies with wrong types and extra fields', async () => {
    const value = fc.oneof(
      fc.string(),
      fc.integer(),
      fc.double(),
      fc.boolean(),
      fc.constant(null),
      fc.array(fc.anything(), { maxLength: 12 }),
      fc.object(),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.record({ title: value, body: value, tags: value, delayMs: value }, { requiredKeys: [] }),
        fc.dictionary(fc.string(), value, { maxKeys: 3 }),
        async (note, extra) => {
          const body = JSON.stringify({ ...extra, ...note });
          await expectClean(
            await send(`${app.url}/v1/notes`, {
              method: 'POST',
              headers: {
                authorization: auth,
                'content-type': 'application/json',
              },
              body,
            }),
            body,
          );
        },
      ),
      { numRuns: 150 },
    );
  });

  it('arbitrary bytes under arbitrary content types', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 2048 }), contentTypes, async (bytes, type) => {
        const headers: Record<string, string> = { authorization: auth };
        if (type) headers['content-type'] = type;
        await expectClean(
          await send(`${app.url}/v1/notes`, {
            method: 'POST',
            headers,
            body: bytes,
          }),
          `${type} ${bytes.length} bytes`,
        );
      }),
      { numRuns: 150 },
    );
  });

  it('arbitrary headers: authorization, x-request-id, idempotency-key', async () => {
    const headerText = fc.string({
      maxLength: 400,
      unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
    });
    const segment = fc.base64String({ maxLength: 60 }).map((s) => s.replace(/=/g, ''));
    const authorization = fc.oneof(
      headerText,
      fc.tuple(segment, segment, segment).map((p) => `Bearer ${p.join('.')}`),
      fc.constant(auth),
    );
    await fc.assert(
      fc.asyncProperty(
        authorization,
        headerText,
        headerText,
        fc.constantFrom('GET', 'POST', 'DELETE'),
        async (a, rid, key, method) => {
          const headers: Record<string, string> = {
            authorization: a,
            'x-request-id': rid,
            'idempotency-key': key,
            'content-type': 'application/json',
          };
          const body = method === 'POST' ? JSON.stringify({ title: `t-${rid.length}` }) : undefined;
          await expectClean(
            await send(`${app.url}/v1/notes`, { method, headers, body }),
            `${method} ${a.slice(0, 40)}`,
          );
        },
      ),
      { numRuns: 150 },
    );
  });

  it('arbitrary path segments and query strings', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string({ maxLength: 80 }),
        fc.string({ maxLength: 80 }),
        fc.constantFrom('GET', 'DELETE', 'POST'),
        async (seg, query, method) => {
          const url = `${app.url}/v1/notes/${encodeURIComponent(seg)}?limit=${encodeURIComponent(query)}&${encodeURIComponent(query)}=1`;
          await expectClean(await send(url, { method, headers: { authorization: auth } }), `${method} ${url}`);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('pathological bodies: deep nesting, huge numbers, prototype keys, bad escapes', async () => {
    const bodies = [
      '['.repeat(30_000) + ']'.repeat(30_000),
      `{"title":${'{"a":'.repeat(5_000)}1${'}'.repeat(5_000)}}`,
      '{"title":"x","__proto__":{"admin":true}}',
      '{"title":"x","constructor":{"prototype":{"admin":true}}}',
      '{"title":"\\ud800"}',
      '{"title":"\\u00"}',
      '{"title":1e999999}',
      '{"title":"x"}garbage',
      '\ufeff{"title":"bom"}',
    ];
    for (const body of bodies) {
      for (const key of [undefined, 'fuzz-deep']) {
        const headers: Record<string, string> = {
          authorization: auth,
          'content-type': 'application/json',
        };
        if (key) headers['idempotency-key'] = `${key}-${body.length}`;
        await expectClean(await send(`${app.url}/v1/notes`, { method: 'POST', headers, body }), body.slice(0, 60));
      }
    }
  });
});
