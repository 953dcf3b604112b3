import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { devToken, unsecuredToken } from '../support/auth/dev-tokens.js';
import { LocalJwks } from '../support/auth/local-jwks.js';
import { bootWithRawAdminRoute, expectUnauthorized } from './auth-support.js';
import { call } from './http-app.js';

describe('auth with Firebase-shaped RS256 tokens from a JWKS', () => {
  let jwks: LocalJwks;
  let app: NestFastifyApplication;
  let url: string;
  beforeAll(async () => {
    jwks = await LocalJwks.start();
    ({ app, url } = await bootWithRawAdminRoute('auth_jwks', {
      ...jwks.env,
      AUTH_ROLES_CLAIM: 'admin',
    }));
  });
  afterAll(async () => {
    await app?.close();
    await jwks?.stop();
  });

  const cases: Array<[string, () => Promise<string>]> = [
    ['expired', () => jwks.sign('alice', { expiresIn: -60 })],
    ['not yet valid', () => jwks.sign('alice', { notBefore: 300 })],
    [
      'wrong issuer',
      () =>
        jwks.sign('alice', {
          issuer: 'https://securetoken.google.com/other-project',
        }),
    ],
    ['wrong audience', () => jwks.sign('alice', { audience: 'other-project' })],
    ['bad signature (same kid, other key)', () => jwks.sign('alice', { foreignKey: true })],
    ['unknown kid', () => jwks.sign('alice', { kid: 'rotated-away', foreignKey: true })],
    ['alg none', async () => unsecuredToken('alice', jwks.issuer, jwks.project)],
    [
      'HS256 signed with the development secret',
      () => devToken('alice', { issuer: jwks.issuer, audience: jwks.project }),
    ],
  ];

  it.each(cases)('%s: 401', async (_name, token) => {
    expectUnauthorized(
      await call(`${url}/v1/notes`, {
        headers: { authorization: `Bearer ${await token()}` },
      }),
    );
  });

  it('accepts a valid ID token, fetching the key set once', async () => {
    for (let i = 0; i < 5; i++) {
      const res = await call(`${url}/v1/notes`, {
        headers: { authorization: `Bearer ${await jwks.sign('uid-1')}` },
      });
      expect(res.status).toBe(200);
    }
    expect(jwks.served.count).toBeLessThanOrEqual(2);
  });

  it('reads the admin role from a Firebase custom claim ({ admin: true })', async () => {
    const user = { authorization: `Bearer ${await jwks.sign('uid-1')}` };
    const admin = {
      authorization: `Bearer ${await jwks.sign('uid-2', { claims: { admin: true } })}`,
    };
    expect((await call(`${url}/admin/notes/stats`, { headers: user })).status).toBe(403);
    expect((await call(`${url}/admin/notes/stats`, { headers: admin })).status).toBe(200);
  });
});
