import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { SignJWT } from 'jose';
import { DEV_AUTH } from '../../src/platform/http/index.js';
import { bearer, devToken, unsecuredToken } from '../support/auth/dev-tokens.js';
import { bootWithRawAdminRoute, expectUnauthorized } from './auth-support.js';
import { call } from './http-app.js';

describe('auth with the development HS256 default', () => {
  let app: NestFastifyApplication;
  let url: string;
  beforeAll(async () => ({ app, url } = await bootWithRawAdminRoute('auth_hs256', {})));
  afterAll(async () => app?.close());

  const now = () => Math.floor(Date.now() / 1000);
  const badTokens: Array<[string, () => Promise<string | undefined>, RegExp]> = [
    ['missing', async () => undefined, /required/],
    ['not a bearer scheme', async () => `Basic ${Buffer.from('alice:pw').toString('base64')}`, /Bearer/],
    ['malformed', async () => 'Bearer not-a-jwt', /Bearer <JWT>/],
    ['garbage segments', async () => 'Bearer aaa.bbb.ccc', /malformed/],
    ['expired', async () => `Bearer ${await devToken('alice', { expiresIn: -60 })}`, /expired/],
    ['not yet valid', async () => `Bearer ${await devToken('alice', { notBefore: 300 })}`, /not valid yet/],
    ['wrong issuer', async () => `Bearer ${await devToken('alice', { issuer: 'https://evil.example' })}`, /issuer/],
    ['wrong audience', async () => `Bearer ${await devToken('alice', { audience: 'other-app' })}`, /audience/],
    ['bad signature', async () => `Bearer ${await devToken('alice', { secret: 'x'.repeat(48) })}`, /signature/],
    ['alg none', async () => `Bearer ${unsecuredToken('alice')}`, /algorithm|malformed/],
    [
      'no subject',
      async () =>
        `Bearer ${await new SignJWT({})
          .setProtectedHeader({ alg: 'HS256' })
          .setIssuer(DEV_AUTH.issuer)
          .setAudience(DEV_AUTH.audience)
          .setExpirationTime(now() + 60)
          .sign(new TextEncoder().encode(DEV_AUTH.secret))}`,
      /subject/,
    ],
    [
      'no expiry',
      async () =>
        `Bearer ${await new SignJWT({})
          .setProtectedHeader({ alg: 'HS256' })
          .setSubject('alice')
          .setIssuer(DEV_AUTH.issuer)
          .setAudience(DEV_AUTH.audience)
          .sign(new TextEncoder().encode(DEV_AUTH.secret))}`,
      /expiry|exp/,
    ],
  ];

  it.each(badTokens)('%s token: 401 problem+json with WWW-Authenticate', async (_name, token, detail) => {
    const authorization = await token();
    const res = await call(`${url}/v1/notes`, {
      headers: authorization ? { authorization } : {},
    });
    expectUnauthorized(res);
    expect(res.body.detail).toMatch(detail);
  });

  it('accepts a valid token and scopes data to its subject', async () => {
    const alice = await bearer('alice');
    const created = await call(`${url}/v1/notes`, {
      method: 'POST',
      headers: alice,
      json: { title: 'alice note' },
    });
    expect(created.status).toBe(201);
    const own = await call(`${url}/v1/notes/${created.body.id}`, {
      headers: alice,
    });
    expect(own.status).toBe(200);
    expect(own.body.title).toBe('alice note');

    const mallory = await bearer('mallory');
    const theirs = await call(`${url}/v1/notes/${created.body.id}`, {
      headers: mallory,
    });
    expect(theirs.status).toBe(404);
    expect(theirs.text).not.toContain('alice note');
    expect((await call(`${url}/v1/notes`, { headers: mallory })).body).toEqual([]);
    expect(
      (
        await call(`${url}/v1/notes/${created.body.id}`, {
          method: 'DELETE',
          headers: mallory,
        })
      ).status,
    ).toBe(404);
    expect((await call(`${url}/v1/notes/${created.body.id}`, { headers: alice })).status).toBe(200);
  });

  it('gates /admin by the admin role, also for spellings of the path and for raw Fastify routes', async () => {
    const user = await bearer('bob');
    const admin = await bearer('root', { roles: ['admin'] });
    for (const path of ['/admin/notes/stats', '/%61dmin/notes/stats', '/admin/raw-fastify-route', '/admin/queues']) {
      const denied = await call(`${url}${path}`, { headers: user });
      expect(denied.status, path).toBe(403);
      expect(denied.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expectUnauthorized(await call(`${url}${path}`));
      expect((await call(`${url}${path}`, { headers: admin })).status, path).toBe(200);
    }
  });

  it('leaves @Public() routes, probes and docs open', async () => {
    expect((await call(`${url}/v1/ping`)).status).toBe(200);
    expect((await call(`${url}/health/live`)).status).toBe(200);
    expect((await call(`${url}/docs/json`)).status).toBe(200);
  });
});
