import { devToken, unsecuredToken } from '../support/auth/dev-tokens.js';
import { recordScenario } from './support/summary.js';
import { bootSurface, exampleOf, snapshot, type Operation, type Surface } from './support/surface.js';

/** What DESIGN allows to be public: the probes and Stripe's webhook (it is authenticated by its signature). */
const MAY_BE_PUBLIC = /^(GET \/health\/(live|ready)|POST \/v1\/webhooks\/stripe)$/;

interface Answer {
  op: string;
  variant: string;
  status: number;
  contentType: string | null;
  wwwAuthenticate: string | null;
  body: string;
  correlationId: string | null;
}

/**
 * Every operation of the OpenAPI document, called as nobody, with forged tokens (wrong key, alg none, a
 * payload changed under its signature), an expired one, a non-admin on /admin, and as another user
 * aiming at the first user's resources (ids in paths, lists, the same Idempotency-Key).
 */
describe('6 auth sweep: every route without, with broken and with another user’s token', () => {
  let s: Surface;
  beforeAll(async () => {
    s = await bootSurface('faults_auth');
  }, 120_000);
  afterAll(async () => s?.close());

  it('lets only the documented public routes through, and no user reads or changes another’s data', async () => {
    const started = Date.now();
    const alice = await devToken('sweep-alice', { expiresIn: 3600 });
    const bob = await devToken('sweep-bob', { expiresIn: 3600 });
    const admin = await devToken('sweep-admin', {
      roles: ['admin'],
      expiresIn: 3600,
    });
    const [header, payload, signature] = alice.split('.');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString());
    const variants: Record<string, string | undefined> = {
      'no token': undefined,
      'wrong key': await devToken('sweep-alice', {
        secret: 'an-attacker-secret-of-enough-length-0123456789',
        expiresIn: 3600,
      }),
      'alg none': unsecuredToken('sweep-alice'),
      'payload changed': `${header}.${Buffer.from(JSON.stringify({ ...claims, sub: 'sweep-admin', roles: ['admin'] })).toString('base64url')}.${signature}`,
      expired: await devToken('sweep-alice', { expiresIn: -120 }),
      'wrong audience': await devToken('sweep-alice', {
        audience: 'someone-else',
        expiresIn: 3600,
      }),
      'not a JWT': 'not-a-jwt',
    };

    // Alice's resources: one of everything a user can create, with the same Idempotency-Key bob will try.
    const creators = s.ops.filter(
      (o) => o.method === 'POST' && o.path.startsWith('/v1') && o.pathParams.length === 0 && !o.isPublic,
    );
    const aliceIds: string[] = [];
    const aliceBodies = new Map<string, { body: string; key: string }>();
    let attempt = 0;
    // Twice: a body that refers to another resource (a deposit's quoteId) gets her ids on the second pass.
    for (let pass = 0; pass < 2; pass++) {
      for (const op of creators.filter((o) => !aliceBodies.has(o.path))) {
        const example = exampleOf(s.doc, op.body) as Record<string, unknown>;
        const refs = Object.keys(example ?? {}).filter((k) => k.endsWith('Id') && typeof example[k] === 'string');
        for (const candidate of pass === 0
          ? [example]
          : aliceIds.map((id) => ({
              ...example,
              ...Object.fromEntries(refs.map((k) => [k, id])),
            }))) {
          if (pass === 1 && refs.length === 0) break;
          const body = JSON.stringify(candidate);
          const key = `sweep-${attempt++}`;
          const res = await fetch(`${s.app.url}${op.path}`, {
            method: 'POST',
            headers: {
              authorization: `Bearer ${alice}`,
              'content-type': 'application/json',
              'idempotency-key': key,
            },
            body,
          });
          const created = (await res.json().catch(() => ({}))) as {
            id?: string;
          };
          if (res.ok && created.id) {
            aliceIds.push(created.id);
            aliceBodies.set(op.path, { body, key });
            break;
          }
        }
      }
    }
    expect(aliceIds.length).toBeGreaterThanOrEqual(3);

    const answers: Answer[] = [];
    const call = async (
      op: Operation,
      variant: string,
      token: string | undefined,
      id: string,
      init: { body?: string; key?: string } = {},
    ) => {
      let path = op.path;
      for (const p of op.pathParams) path = path.replace(`{${p}}`, p === 'name' ? 'payments.reconcile' : id);
      const headers: Record<string, string> = {
        'x-request-id': `sweep-${answers.length}`,
      };
      if (token !== undefined) headers.authorization = `Bearer ${token}`;
      if (init.key) headers['idempotency-key'] = init.key;
      const body = ['POST', 'PUT', 'PATCH'].includes(op.method)
        ? (init.body ?? JSON.stringify(exampleOf(s.doc, op.body)))
        : undefined;
      if (body !== undefined) headers['content-type'] = 'application/json';
      const query = op.query
        .filter((q) => q.required)
        .map((q) => `${q.name}=${q.schema?.default ?? 1}`)
        .join('&');
      const ctl = new AbortController();
      const res = await fetch(`${s.app.url}${path}${query ? `?${query}` : ''}`, {
        method: op.method,
        headers,
        body,
        signal: ctl.signal,
      });
      const sse = /text\/event-stream/.test(res.headers.get('content-type') ?? '');
      const text = sse ? '(stream)' : await res.text();
      if (sse) ctl.abort();
      const answer = {
        op: `${op.method} ${op.path}`,
        variant,
        status: res.status,
        contentType: res.headers.get('content-type'),
        wwwAuthenticate: res.headers.get('www-authenticate'),
        body: text,
        correlationId: res.headers.get('x-request-id'),
      };
      answers.push(answer);
      return answer;
    };

    await new Promise((r) => setTimeout(r, 1000)); // the relay's after-commit updates of her creations
    const before = await snapshot(s.db);
    const hersBefore = await snapshot(s.db, 'sweep-alice');
    const problems: string[] = [];
    const routes = s.ops;
    for (const op of routes) {
      const name = `${op.method} ${op.path}`;
      const target = aliceIds[0]!;
      // Nobody, and every broken token: 401 problem+json with an RFC 6750 challenge, unless the route is public.
      for (const [variant, token] of Object.entries(variants)) {
        const a = await call(op, variant, token, target);
        if (op.isPublic) {
          if (a.status === 401 || a.status === 403)
            problems.push(`${name} is documented public but answered ${a.status} (${variant})`);
        } else if (
          a.status !== 401 ||
          !(a.contentType ?? '').startsWith('application/problem+json') ||
          !(a.wwwAuthenticate ?? '').startsWith('Bearer ')
        ) {
          problems.push(
            `${name} with ${variant}: ${a.status} ${a.contentType} ${a.wwwAuthenticate} ${a.body.slice(0, 150)}`,
          );
        }
      }
      // A valid token without the admin role on /admin: 403.
      if (op.admin) {
        const a = await call(op, 'non-admin', bob, target);
        if (a.status !== 403) problems.push(`${name} as a non-admin: ${a.status} ${a.body.slice(0, 150)}`);
        const ok = await call(op, 'admin', admin, target);
        if (ok.status === 401 || ok.status === 403 || ok.status >= 500)
          problems.push(`${name} as an admin: ${ok.status} ${ok.body.slice(0, 150)}`);
        continue;
      }
      if (op.isPublic || !op.path.startsWith('/v1')) continue;
      // Bob, on Alice's resources: each of her ids in every path (not found), her key on every POST.
      if (op.pathParams.length > 0) {
        for (const id of aliceIds) {
          const a = await call(op, 'other user', bob, id);
          if (a.status < 400 || a.status >= 500)
            problems.push(`${name} as another user on ${id}: ${a.status} ${a.body.slice(0, 150)}`);
          if (aliceIds.some((x) => a.body.includes(x) && x !== id))
            problems.push(`${name} as another user leaked an id of hers: ${a.body.slice(0, 200)}`);
        }
      } else {
        const a = await call(
          op,
          'other user',
          bob,
          '',
          op.method === 'POST'
            ? {
                body: aliceBodies.get(op.path)?.body,
                key: aliceBodies.get(op.path)?.key,
              }
            : {},
        );
        if (a.status >= 500) problems.push(`${name} as another user: ${a.status}`);
        // An id he sent himself may come back (in "No quote <id>."); any other of hers is a leak.
        const sent = aliceBodies.get(op.path)?.body ?? '';
        const leaked = aliceIds.filter((id) => a.body.includes(id) && !sent.includes(id));
        if (leaked.length) problems.push(`${name} as another user shows ${leaked.join(', ')}: ${a.body.slice(0, 200)}`);
      }
    }
    // The documented public routes, and nothing else, answered without a token.
    const openWithoutToken = [
      ...new Set(
        answers.filter((a) => a.variant === 'no token' && a.status !== 401 && a.status !== 403).map((a) => a.op),
      ),
    ].sort();
    const documentedPublic = routes
      .filter((o) => o.isPublic)
      .map((o) => `${o.method} ${o.path}`)
      .sort();
    if (JSON.stringify(openWithoutToken) !== JSON.stringify(documentedPublic))
      problems.push(
        `open without a token: ${openWithoutToken.join(', ')}; documented public: ${documentedPublic.join(', ')}`,
      );
    for (const r of documentedPublic) if (!MAY_BE_PUBLIC.test(r)) problems.push(`${r} is documented public`);

    // Nobody changed anything of Alice's: every rejected call wrote nothing, and her documents are as they were.
    const after = await snapshot(s.db);
    const rejectedWrites = answers.filter(
      (a) =>
        a.status >= 400 &&
        a.correlationId &&
        (s.writesBy.get(a.correlationId) ?? []).some((w) => w.collection !== 'idempotency_keys'),
    );
    for (const a of rejectedWrites)
      problems.push(
        `${a.op} (${a.variant}) was refused with ${a.status} but wrote ${JSON.stringify(s.writesBy.get(a.correlationId!))}`,
      );
    const changed = [...after.keys()].filter((c) => before.get(c) !== after.get(c));
    const acceptedWrote = new Set(
      answers
        .filter((a) => a.status < 400 && a.correlationId)
        .flatMap((a) => (s.writesBy.get(a.correlationId!) ?? []).map((w) => w.collection)),
    );
    for (const c of changed)
      if (!acceptedWrote.has(c) && c !== 'idempotency_keys')
        problems.push(`collection ${c} changed, but no accepted call wrote to it`);
    // Her documents (everything that names her, but the outbox's delivery bookkeeping) are as they were.
    const hersAfter = await snapshot(s.db, 'sweep-alice');
    for (const [c, hash] of hersAfter)
      if (c !== 'events_outbox' && hersBefore.get(c) !== hash) problems.push(`her documents in ${c} changed`);

    const byVariant = new Map<string, Map<number, number>>();
    for (const a of answers) {
      const m = byVariant.get(a.variant) ?? new Map<number, number>();
      m.set(a.status, (m.get(a.status) ?? 0) + 1);
      byVariant.set(a.variant, m);
    }
    const fiveXx = answers.filter((a) => a.status >= 500).length;
    const summary = {
      operations: routes.length,
      calls: answers.length,
      aliceResources: aliceIds.length,
      byVariant: Object.fromEntries([...byVariant].map(([v, m]) => [v, Object.fromEntries(m)])),
      openWithoutToken,
      problems: problems.length,
      seconds: Math.round((Date.now() - started) / 1000),
    };
    console.log(`auth sweep: ${JSON.stringify(summary)}`);
    if (problems.length) console.log(`auth sweep problems:\n${problems.slice(0, 30).join('\n')}`);
    recordScenario({
      scenario: '6 auth sweep',
      file: 'test/faults/auth-sweep.fault-spec.ts',
      requests: answers.length,
      accepted: answers.filter((a) => a.status < 400).length,
      lost: 0,
      duplicated: rejectedWrites.length,
      fiveXx,
      seconds: summary.seconds,
      notes: `${routes.length} operations × 7 broken-token variants, non-admin on /admin, another user on ${aliceIds.length} resources; open without a token: ${openWithoutToken.join(', ')}; ${problems.length} problems`,
    });

    expect(problems).toEqual([]);
    expect(fiveXx).toBe(0);
  }, 300_000);
});
