import fc from 'fast-check';
import { devToken } from '../support/auth/dev-tokens.js';
import { pool } from './support/retry-client.js';
import { rawRequest, type RawRequest, type RawResponse } from './support/raw-http.js';
import { recordScenario } from './support/summary.js';
import { bootSurface, exampleOf, snapshot, type Operation, type Surface } from './support/surface.js';

/** Seeded and reproducible: FAULTS_SEED=<the printed seed> npm run test:faults -- test/faults/bad-input.fault-spec.ts */
const SEED = Number(process.env.FAULTS_SEED ?? Math.floor(Math.random() * 2 ** 31));
const CASES = Number(process.env.FAULTS_FUZZ_CASES ?? 10_000);
const CONCURRENCY = 16;
const BODY_LIMIT = 1_048_576; // HTTP_BODY_LIMIT's default

interface Case {
  op: number;
  kind: string;
  method: string;
  target: string;
  headers: Array<[string, string | Buffer]>;
  body?: Buffer;
}

interface Fixtures {
  own: string[];
  others: string[];
  tokens: { user: string; other: string; admin: string };
}

const json = (v: unknown) => Buffer.from(JSON.stringify(v));

/** Percent-encodes the UTF-8 bytes of `s` (lone surrogates become U+FFFD, where pct throws). */
const pct = (s: string) =>
  [...Buffer.from(s, 'utf8')]
    .map((b) =>
      /[A-Za-z0-9\-_.~]/.test(String.fromCharCode(b))
        ? String.fromCharCode(b)
        : `%${b.toString(16).toUpperCase().padStart(2, '0')}`,
    )
    .join('');

type HeaderList = Array<[string, string | Buffer]>;

/** Values of the wrong type or shape, and the classics. */
const weird = (): fc.Arbitrary<unknown> =>
  fc.oneof(
    fc.string({ maxLength: 40 }),
    fc.string({ unit: 'grapheme', maxLength: 20 }),
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.constantFrom(
      '',
      ' ',
      '0',
      '-1',
      '1e309',
      'NaN',
      'Infinity',
      'null',
      '[]',
      '{}',
      '$gt',
      '\u0000',
      '\uffff',
      '\ud800',
      '💥',
      'x'.repeat(5000),
      '0x' + 'f'.repeat(64),
    ),
    fc.constantFrom(-1, 0, 2 ** 53, -(2 ** 63), 1e308, 0.1, Number.MAX_SAFE_INTEGER + 2),
    fc.constantFrom({ $gt: '' }, { $where: 'sleep(1000)' }, { $ne: null }),
    fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 5 }),
    fc.dictionary(fc.string({ maxLength: 10 }), fc.jsonValue({ maxDepth: 2 }), {
      maxKeys: 4,
    }),
  );

/** Invalid UTF-8 (lone continuation bytes, overlongs, surrogates, truncated sequences) inside a JSON string. */
const badUtf8 = fc
  .array(
    fc.constantFrom(
      [0xc3, 0x28],
      [0xa0, 0xa1],
      [0xe2, 0x28, 0xa1],
      [0xf0, 0x28, 0x8c, 0xbc],
      [0xed, 0xa0, 0x80],
      [0xc0, 0xaf],
      [0xff],
      [0xfe, 0xff],
      [0xf8, 0x88, 0x80, 0x80, 0x80],
    ),
    { minLength: 1, maxLength: 4 },
  )
  .map((parts) => Buffer.from(parts.flat()));

function mutateBody(doc: any, op: Operation): fc.Arbitrary<{ kind: string; body?: Buffer; contentType?: string }> {
  const base = op.body ? exampleOf(doc, op.body) : {};
  const obj = base && typeof base === 'object' && !Array.isArray(base) ? (base as Record<string, unknown>) : {};
  const keys = Object.keys(obj);
  const ct = 'application/json';
  return fc.oneof(
    {
      weight: 5,
      arbitrary: fc.constant({
        kind: 'valid',
        body: json(base),
        contentType: ct,
      }),
    },
    {
      weight: 8,
      arbitrary: keys.length
        ? fc.constantFrom(...keys).map((k) => {
            const { [k]: _gone, ...rest } = obj;
            return { kind: 'missing field', body: json(rest), contentType: ct };
          })
        : fc.constant({
            kind: 'missing field',
            body: json({}),
            contentType: ct,
          }),
    },
    {
      weight: 6,
      arbitrary: fc
        .dictionary(fc.string({ minLength: 1, maxLength: 12 }), weird(), {
          minKeys: 1,
          maxKeys: 3,
        })
        .map((extra) => ({
          kind: 'extra fields',
          body: json({ ...obj, ...extra }),
          contentType: ct,
        })),
    },
    {
      weight: 14,
      arbitrary: fc
        .tuple(keys.length ? fc.constantFrom(...keys) : fc.string({ maxLength: 8 }), weird())
        .map(([k, v]) => ({
          kind: 'wrong type',
          body: json({ ...obj, [k]: v }),
          contentType: ct,
        })),
    },
    {
      weight: 6,
      arbitrary: fc.jsonValue({ maxDepth: 5 }).map((v) => ({ kind: 'any JSON', body: json(v), contentType: ct })),
    },
    {
      weight: 3,
      arbitrary: fc.constantFrom('[]', '"x"', '1', 'null', 'true', '[{}]', '""').map((t) => ({
        kind: 'not an object',
        body: Buffer.from(t),
        contentType: ct,
      })),
    },
    {
      weight: 2,
      arbitrary: fc
        .constantFrom(
          '{"__proto__":{"admin":true,"ownerId":"x"}}',
          '{"constructor":{"prototype":{"polluted":1}}}',
          '{"__proto__":null}',
        )
        .map((t) => ({
          kind: 'prototype pollution',
          body: Buffer.from(t.replace(/^\{/, `{${keys.length ? JSON.stringify(obj).slice(1, -1) + ',' : ''}`)),
          contentType: ct,
        })),
    },
    {
      weight: 3,
      arbitrary: fc.tuple(fc.integer({ min: 33, max: 100_000 }), fc.boolean()).map(([depth, arrays]) => ({
        kind: `nested ${depth} deep`,
        body: Buffer.from(
          arrays ? '['.repeat(depth) + ']'.repeat(depth) : '{"a":'.repeat(depth) + '1' + '}'.repeat(depth),
        ),
        contentType: ct,
      })),
    },
    {
      weight: 1,
      arbitrary: fc.integer({ min: BODY_LIMIT + 1, max: BODY_LIMIT + 64_000 }).map((n) => ({
        kind: 'over the body limit',
        body: json({ ...obj, description: 'x'.repeat(n) }),
        contentType: ct,
      })),
    },
    {
      weight: 1,
      arbitrary: fc.integer({ min: 100_000, max: BODY_LIMIT - 1000 }).map((n) => ({
        kind: 'huge field',
        body: json({ ...obj, [keys[0] ?? 'x']: 'y'.repeat(n) }),
        contentType: ct,
      })),
    },
    {
      weight: 4,
      arbitrary: fc.tuple(keys.length ? fc.constantFrom(...keys) : fc.constant('x'), badUtf8).map(([k, bytes]) => {
        const text = JSON.stringify({ ...obj, [k]: '@@' });
        const at = text.indexOf('"@@"');
        return {
          kind: 'invalid UTF-8',
          body: Buffer.concat([Buffer.from(text.slice(0, at + 1)), bytes, Buffer.from(text.slice(at + 3))]),
          contentType: ct,
        };
      }),
    },
    {
      weight: 2,
      arbitrary: fc.uint8Array({ maxLength: 512 }).map((b) => ({
        kind: 'random bytes',
        body: Buffer.from(b),
        contentType: ct,
      })),
    },
    {
      weight: 3,
      arbitrary: fc
        .constantFrom(
          '{',
          '{"a":1,}',
          "{'a':1}",
          '{"a":1}garbage',
          '\ufeff{}',
          '{"a":NaN}',
          '{"a":1e999999}',
          '/*c*/{}',
          '{"a":"\\u00"}',
          '{"a":1}{"b":2}',
        )
        .map((t) => ({
          kind: 'malformed JSON',
          body: Buffer.from(t),
          contentType: ct,
        })),
    },
    {
      weight: 4,
      arbitrary: fc
        .constantFrom(
          'text/plain',
          'application/x-www-form-urlencoded',
          'multipart/form-data; boundary=x',
          'application/xml',
          'application/json; charset=utf-16',
          'application/json; charset=latin1',
          'APPLICATION/JSON',
          'application/json, text/plain',
          '*/*',
          'application/problem+json',
          'application/vnd.api+json',
        )
        .map((type) => ({
          kind: `content-type ${type}`,
          body: json(base),
          contentType: type,
        })),
    },
    {
      weight: 1,
      arbitrary: fc.constant({ kind: 'no content-type', body: json(base) }),
    },
    {
      weight: 2,
      arbitrary: fc.constant({
        kind: 'empty JSON body',
        body: Buffer.alloc(0),
        contentType: ct,
      }),
    },
  );
}

function pathValue(op: Operation, fx: Fixtures): fc.Arbitrary<string> {
  const ids = (list: string[]) => (list.length ? fc.constantFrom(...list) : fc.constant('000000000000000000000000'));
  return fc.oneof(
    { weight: 3, arbitrary: ids(fx.own) },
    { weight: 3, arbitrary: ids(fx.others) },
    { weight: 2, arbitrary: fc.stringMatching(/^[0-9a-f]{24}$/) },
    {
      weight: 4,
      arbitrary: fc
        .oneof(
          fc.string({ maxLength: 40 }),
          fc.string({ unit: 'grapheme', maxLength: 10 }),
          fc.constantFrom(
            'null',
            'undefined',
            '-1',
            '0',
            '{}',
            '$gt',
            'x'.repeat(3000),
            'ZZZZZZZZZZZZZZZZZZZZZZZZ',
            '6b0297f47826be2e919ebfe',
          ),
        )
        .map(pct),
    },
    {
      weight: 1,
      arbitrary: fc.constantFrom('..', '%2e%2e', '..%2f..%2fetc%2fpasswd', '%00', '%ff', '%', '%zz', 'a%2Fb', '%252e'),
    },
  );
}

function queryString(op: Operation): fc.Arbitrary<string> {
  const names = op.query.map((q) => q.name);
  const enc = (k: string, v: unknown) => `${pct(k)}=${pct(typeof v === 'string' ? v : JSON.stringify(v))}`;
  return fc.oneof(
    { weight: 4, arbitrary: fc.constant('') },
    {
      weight: 3,
      arbitrary: fc.constant(
        op.query
          .filter((q) => q.required)
          .map((q) => enc(q.name, q.schema?.default ?? q.schema?.enum?.[0] ?? 1))
          .join('&'),
      ),
    },
    {
      weight: 4,
      arbitrary: names.length
        ? fc.tuple(fc.constantFrom(...names), weird()).map(([k, v]) => enc(k, v))
        : fc.constant(''),
    },
    {
      weight: 2,
      arbitrary: fc
        .dictionary(fc.string({ minLength: 1, maxLength: 10 }), fc.string({ maxLength: 20 }), { maxKeys: 3 })
        .map((d) =>
          Object.entries(d)
            .map(([k, v]) => enc(k, v))
            .join('&'),
        ),
    },
    {
      weight: 2,
      arbitrary: names.length ? fc.constantFrom(...names).map((k) => `${k}=1&${k}=2`) : fc.constant('a=1&a=2'),
    },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        '%',
        'a[b]=1',
        'limit[$gt]=',
        'limit[]=1',
        '=',
        '&&&',
        'x'.repeat(8000),
        'status=processing&status=failed',
        'cursor=%ff%fe',
        'cursor=' + 'A'.repeat(2000),
        'limit=1e3',
        'limit=0x10',
        'page=-1&pageSize=100000',
      ),
    },
  );
}

interface HeaderCase {
  kind: string;
  headers: HeaderList;
}

function headerMutation(): fc.Arbitrary<HeaderCase> {
  const w = (weight: number, arbitrary: fc.Arbitrary<HeaderCase>) => ({
    weight,
    arbitrary,
  });
  const one = (name: string, value: string | Buffer): HeaderList => [[name, value]];
  return fc.oneof(
    w(30, fc.constant({ kind: '', headers: [] })),
    w(
      4,
      fc
        .constantFrom<[string, string]>(
          ['authorization', 'Bearer a.b.c'],
          ['idempotency-key', 'dup-key'],
          ['content-type', 'text/plain'],
          ['x-request-id', 'dup-id'],
          ['content-type', 'application/json'],
        )
        .map((h) => ({ kind: `duplicated ${h[0]}`, headers: one(h[0], h[1]) })),
    ),
    w(
      2,
      fc.integer({ min: 8_000, max: 20_000 }).map((n) => ({
        kind: `header of ${n} bytes`,
        headers: one('x-fuzz', 'a'.repeat(n)),
      })),
    ),
    w(
      1,
      fc.integer({ min: 50, max: 300 }).map((n) => ({
        kind: `${n} headers`,
        headers: Array.from({ length: n }, (_, i): [string, string] => [`x-h${i}`, String(i)]),
      })),
    ),
    w(
      2,
      badUtf8.map((b) => ({
        kind: 'non-ASCII header bytes',
        headers: one('x-fuzz', b),
      })),
    ),
    w(
      1,
      fc.constantFrom('\x01', 'a\x7fb', '\x00').map((c) => ({
        kind: 'control character in a header',
        headers: one('x-fuzz', c),
      })),
    ),
    w(
      2,
      fc.string({ maxLength: 200 }).map((v) => ({
        kind: 'weird x-request-id',
        headers: one('x-request-id', Buffer.from(v)),
      })),
    ),
    w(
      2,
      fc.oneof(fc.string({ maxLength: 300 }), fc.constantFrom('', ' ', 'x'.repeat(256), 'é', '\t')).map((v) => ({
        kind: 'weird Idempotency-Key',
        headers: one('idempotency-key', Buffer.from(v)),
      })),
    ),
  );
}

/**
 * Requests that are not valid HTTP/1.1, which Node's parser rejects before Fastify sees them (keel's
 * clientErrorHandler must still answer 400 problem+json), or that Fastify rejects before routing
 * (frameworkErrors): raw spaces and non-ASCII bytes in the request-target, a bad method token, a folded
 * header line, Content-Length together with Transfer-Encoding, a bad chunk size, a non-numeric
 * Content-Length.
 */
type Framing = (c: Case) => Case;
const framing = (): fc.Arbitrary<{ kind: string; apply: Framing }> =>
  fc.constantFrom<{ kind: string; apply: Framing }>(
    {
      kind: 'raw space in the request-target',
      apply: (c) => ({ ...c, target: `${c.target.split('?')[0]} x` }),
    },
    {
      kind: 'raw non-ASCII bytes in the request-target',
      apply: (c) => ({ ...c, target: `${c.target.split('?')[0]}\xff\xfe` }),
    },
    {
      kind: 'invalid method token',
      apply: (c) => ({ ...c, method: `${c.method[0]}@${c.method.slice(1)}` }),
    },
    {
      kind: 'folded header line',
      apply: (c) => ({
        ...c,
        headers: [...c.headers, ['x-folded', 'a\r\n b']],
      }),
    },
    {
      kind: 'Content-Length with Transfer-Encoding',
      apply: (c) => ({
        ...c,
        headers: [...c.headers, ['content-length', '5'], ['transfer-encoding', 'chunked']],
        body: Buffer.from('0\r\n\r\n'),
      }),
    },
    {
      kind: 'bad chunk size',
      apply: (c) => ({
        ...c,
        headers: [...c.headers, ['transfer-encoding', 'chunked']],
        body: Buffer.from('zz\r\n{}\r\n0\r\n\r\n'),
      }),
    },
    {
      kind: 'non-numeric Content-Length',
      apply: (c) => ({
        ...c,
        headers: [...c.headers, ['content-length', '1x']],
        body: c.body ?? Buffer.from('{}'),
      }),
    },
  );

function caseArb(doc: any, ops: Operation[], fx: Fixtures): fc.Arbitrary<Case> {
  // Each operation's arbitrary is built once: building one (string arbitraries precompute their
  // interesting slices) cost more than drawing a case from it, when it was rebuilt for every case.
  const perOp = new Map<number, fc.Arbitrary<Case>>();
  return fc.integer({ min: 0, max: ops.length - 1 }).chain((i) => {
    let arb = perOp.get(i);
    if (!arb) perOp.set(i, (arb = opCaseArb(doc, ops, fx, i)));
    return arb;
  });
}

function opCaseArb(doc: any, ops: Operation[], fx: Fixtures, i: number): fc.Arbitrary<Case> {
  const op = ops[i]!;
  const hasBody = op.method === 'POST' || op.method === 'PUT' || op.method === 'PATCH';
  return fc
    .record({
      params: fc.tuple(...op.pathParams.map(() => pathValue(op, fx))).map((v) => v as string[]),
      query: queryString(op),
      body: hasBody
        ? mutateBody(doc, op)
        : fc.oneof(
            {
              weight: 9,
              arbitrary: fc.constant({ kind: '' } as {
                kind: string;
                body?: Buffer;
                contentType?: string;
              }),
            },
            { weight: 1, arbitrary: mutateBody(doc, op) },
          ),
      header: headerMutation(),
      method: fc.oneof(
        { weight: 14, arbitrary: fc.constant(op.method) },
        {
          weight: 1,
          arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'),
        },
      ),
      key: fc.oneof(
        { weight: 5, arbitrary: fc.constant(undefined) },
        {
          weight: 2,
          arbitrary: fc.constantFrom(...Array.from({ length: 8 }, (_, k) => `fz-shared-${k}`)),
        },
        { weight: 2, arbitrary: fc.uuid() },
      ),
      framing: fc.oneof({ weight: 30, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: framing() }),
      auth: fc.oneof(
        { weight: 30, arbitrary: fc.constant('token') },
        {
          weight: 1,
          arbitrary: fc.constantFrom(
            'none',
            'Bearer',
            'Bearer x.y.z',
            'Basic Zm9vOmJhcg==',
            'bearer lowercase.scheme.x',
          ),
        },
      ),
    })
    .map(({ params, query, body, header, method, key, auth, framing }) => {
      let path = op.path;
      op.pathParams.forEach((name, k) => (path = path.replace(`{${name}}`, params[k]!)));
      const headers: Array<[string, string | Buffer]> = [];
      if (!op.isPublic) {
        const token = op.admin ? fx.tokens.admin : fx.tokens.user;
        if (auth === 'token') headers.push(['authorization', `Bearer ${token}`]);
        else if (auth !== 'none') headers.push(['authorization', auth]);
      }
      if (body.contentType) headers.push(['content-type', body.contentType]);
      if (key && method === 'POST') headers.push(['idempotency-key', key]);
      headers.push(...header.headers);
      const kinds = [
        body.kind,
        header.kind,
        auth === 'token' ? '' : `auth ${auth}`,
        method === op.method ? '' : `method ${method}`,
        query ? 'query' : '',
        framing?.kind ?? '',
      ].filter(Boolean);
      const c: Case = {
        op: i,
        kind: kinds.join(', ') || 'plain',
        method,
        target: query ? `${path}?${query}` : path,
        headers,
        body: body.body,
      };
      return framing ? framing.apply(c) : c;
    });
}

describe('5 bad input: property-based fuzzing of every /v1 and /admin route from the OpenAPI document', () => {
  let s: Surface;
  let fx: Fixtures;
  beforeAll(async () => {
    s = await bootSurface('faults_fuzz');
    const tokens = {
      user: await devToken('fuzz-a', { expiresIn: 3600 }),
      other: await devToken('fuzz-b', { expiresIn: 3600 }),
      admin: await devToken('fuzz-admin', {
        roles: ['admin'],
        expiresIn: 3600,
      }),
    };
    // Resources to aim ids at: one of each kind the document lets a user create, for the fuzzing user and another.
    const own: string[] = [];
    const others: string[] = [];
    for (const op of s.ops.filter(
      (o) => o.method === 'POST' && o.path.startsWith('/v1') && o.pathParams.length === 0 && !o.isPublic,
    )) {
      for (const [token, into] of [
        [tokens.user, own],
        [tokens.other, others],
      ] as const) {
        const res = await fetch(`${s.app.url}${op.path}`, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${token}`,
            'content-type': 'application/json',
          },
          body: JSON.stringify(exampleOf(s.doc, op.body)),
        });
        const body = (await res.json().catch(() => ({}))) as { id?: string };
        if (res.ok && body.id) into.push(body.id);
      }
    }
    fx = { own, others, tokens };
  }, 120_000);
  afterAll(async () => s?.close());

  it(`answers ${CASES.toLocaleString('en-US')} malformed requests with 4xx problem+json, never 5xx, and writes nothing for them`, async () => {
    const started = Date.now();
    const ops = s.ops.filter((o) => o.path.startsWith('/v1') || o.path.startsWith('/admin'));
    expect(ops.length).toBeGreaterThan(20);
    console.log(
      `bad input: seed ${SEED} (reproduce with FAULTS_SEED=${SEED}), ${CASES} cases over ${ops.length} operations; fixtures: ${fx.own.length} own and ${fx.others.length} foreign resources`,
    );
    const cases = fc.sample(caseArb(s.doc, ops, fx), {
      seed: SEED,
      numRuns: CASES,
    });
    const before = await snapshot(s.db);

    const failures: Array<{ index: number; case: string; problem: string }> = [];
    const byStatus = new Map<number, number>();
    const byKind = new Map<string, number>();
    const acceptedIds: string[] = [];
    const rejectedIds = new Map<string, number>();
    const seenIds = new Map<string, number>();
    const describe = (c: Case) =>
      `${c.method} ${c.target.slice(0, 200)} [${c.kind}] headers=${JSON.stringify(c.headers.map(([n, v]) => [n, String(v).slice(0, 60)]))} body=${c.body ? JSON.stringify(c.body.subarray(0, 200).toString('latin1')) : '-'}`;
    const fail = (index: number, c: Case, problem: string) => failures.push({ index, case: describe(c), problem });
    let slowest = 0;

    const run = pool(cases.length, CONCURRENCY, async (index): Promise<void> => {
      const c = cases[index]!;
      const headers = c.headers.some(([n]) => n === 'x-request-id')
        ? c.headers
        : [...c.headers, ['x-request-id', `fz-${SEED}-${index}`] as [string, string]];
      let res: RawResponse;
      try {
        res = await rawRequest(
          s.port,
          {
            method: c.method,
            target: c.target,
            headers,
            body: c.body,
          } satisfies RawRequest,
          30_000,
        );
      } catch (err) {
        fail(index, c, `no answer: ${(err as Error).message}`);
        return;
      }
      slowest = Math.max(slowest, res.ms);
      byStatus.set(res.status, (byStatus.get(res.status) ?? 0) + 1);
      for (const k of c.kind.split(', '))
        byKind.set(k.replace(/\d+/g, 'N'), (byKind.get(k.replace(/\d+/g, 'N')) ?? 0) + 1);
      const correlation = res.headers['x-request-id'];
      if (correlation) seenIds.set(correlation, (seenIds.get(correlation) ?? 0) + 1);
      if (res.status >= 500) return void fail(index, c, `${res.status} ${res.body.subarray(0, 300).toString()}`);
      if (res.status >= 400) {
        if (!(res.headers['content-type'] ?? '').startsWith('application/problem+json'))
          return void fail(
            index,
            c,
            `${res.status} with content-type ${res.headers['content-type']}: ${res.body.subarray(0, 200).toString()}`,
          );
        let problem: any;
        try {
          problem = JSON.parse(res.body.toString());
        } catch {
          return void fail(index, c, `${res.status} problem body is not JSON: ${res.body.subarray(0, 200).toString()}`);
        }
        if (problem.status !== res.status || typeof problem.type !== 'string' || typeof problem.title !== 'string')
          return void fail(index, c, `${res.status} malformed problem: ${JSON.stringify(problem).slice(0, 300)}`);
        if (!correlation) return void fail(index, c, `${res.status} without x-request-id`);
        rejectedIds.set(correlation, index);
      } else if (correlation) acceptedIds.push(correlation);
    });
    await run.done;

    // Rejected requests wrote nothing but their Idempotency-Key bookkeeping.
    let rejectedWrites = 0;
    for (const [id, index] of rejectedIds) {
      // A correlation id the case itself chose may be shared with another case: the snapshot covers those.
      if ((seenIds.get(id) ?? 0) > 1) continue;
      const writes = (s.writesBy.get(id) ?? []).filter((w) => w.collection !== 'idempotency_keys');
      if (writes.length > 0) {
        rejectedWrites++;
        fail(index, cases[index]!, `rejected, but wrote ${JSON.stringify(writes)}`);
      }
    }
    // And the database changed only where accepted requests wrote.
    await new Promise((r) => setTimeout(r, 1000)); // the relay's after-commit updates of accepted requests
    const after = await snapshot(s.db);
    const writtenByAccepted = new Set(acceptedIds.flatMap((id) => (s.writesBy.get(id) ?? []).map((w) => w.collection)));
    const unexplained = [...after.keys()].filter(
      (coll) => before.get(coll) !== after.get(coll) && !writtenByAccepted.has(coll) && coll !== 'idempotency_keys',
    );
    for (const coll of unexplained)
      failures.push({
        index: -1,
        case: coll,
        problem: `collection ${coll} changed, but no accepted request wrote to it`,
      });
    const keys = await s.db.collection('idempotency_keys').find({}).toArray();
    const badKeys = keys.filter(
      (k) => k.state !== 'done' || !(k.status < 300 || (k.status > 400 && k.status < 500 && k.status !== 429)),
    );
    for (const k of badKeys)
      failures.push({
        index: -1,
        case: `idempotency key ${k.key}`,
        problem: `left ${k.state} with status ${k.status}`,
      });
    const live = await fetch(`${s.app.url}/health/live`).then(
      (r) => r.status,
      () => 0,
    );

    const accepted = [...byStatus].filter(([st]) => st < 400).reduce((n, [, c]) => n + c, 0);
    const fiveXx = [...byStatus].filter(([st]) => st >= 500).reduce((n, [, c]) => n + c, 0);
    const summary = {
      seed: SEED,
      cases: cases.length,
      operations: ops.length,
      statuses: Object.fromEntries([...byStatus].sort((a, b) => a[0] - b[0])),
      accepted,
      rejectedWrites,
      unexplained,
      badKeys: badKeys.length,
      slowestMs: slowest,
      live,
      seconds: Math.round((Date.now() - started) / 1000),
    };
    console.log(
      `bad input: ${JSON.stringify(summary)}\nkinds: ${JSON.stringify(Object.fromEntries([...byKind].sort((a, b) => b[1] - a[1])))}`,
    );
    if (failures.length) {
      // A few of each kind of failure (kinds by their message, numbers blanked).
      const byProblem = new Map<string, typeof failures>();
      for (const f of failures) {
        const k = f.problem.replace(/\d+/g, 'N').slice(0, 80);
        byProblem.set(k, [...(byProblem.get(k) ?? []), f]);
      }
      console.log(
        `bad input failures (${failures.length}):\n${[...byProblem.values()]
          .map(
            (list) =>
              `${list.length} × ${list[0]!.problem.slice(0, 300)}\n${list
                .slice(0, 3)
                .map((f) => `    #${f.index} ${f.case}`)
                .join('\n')}`,
          )
          .join('\n')}`,
      );
    }
    recordScenario({
      scenario: '5 bad input',
      file: 'test/faults/bad-input.fault-spec.ts',
      requests: cases.length,
      accepted,
      lost: 0,
      duplicated: rejectedWrites + unexplained.length,
      fiveXx,
      seconds: summary.seconds,
      notes: `seed ${SEED}; ${ops.length} operations; statuses ${Object.entries(summary.statuses)
        .map(([k, v]) => `${k}×${v}`)
        .join(' ')}; ${failures.length} failed checks; "duplicated" here: rejected requests that wrote`,
    });

    expect(failures.slice(0, 10)).toEqual([]);
    expect(cases.length).toBeGreaterThanOrEqual(10_000);
    expect(live).toBe(200);
  }, 1_200_000);
});
