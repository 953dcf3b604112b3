import { SignJWT } from 'jose';
import { TokenVerifier } from './token-verifier.js';
import { VerifiedTokenCache } from './verified-token-cache.js';

const secret = 'k'.repeat(48);
const settings = {
  mode: 'secret',
  secret,
  issuer: 'iss',
  audience: 'aud',
  rolesClaim: 'roles',
  adminRole: 'admin',
} as unknown as ConstructorParameters<typeof TokenVerifier>[0];

const sign = (sub: string, exp: number, key = secret) =>
  new SignJWT({ roles: ['user'] })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(sub)
    .setIssuer('iss')
    .setAudience('aud')
    .setExpirationTime(exp)
    .sign(new TextEncoder().encode(key));

const now = () => Math.floor(Date.now() / 1000);

describe('TokenVerifier with its cache of verified tokens', () => {
  afterEach(() => vi.useRealTimers());

  it('answers a repeated token from the cache, with a frozen user', async () => {
    const verifier = new TokenVerifier(settings);
    const header = `Bearer ${await sign('alice', now() + 60)}`;
    const first = await verifier.verifyBearer(header);
    const second = await verifier.verifyBearer(header);
    expect(second).toBe(first);
    expect(first).toMatchObject({ id: 'alice', roles: ['user'] });
    expect(Object.isFrozen(first) && Object.isFrozen(first.roles)).toBe(true);
  });

  it('rejects a cached token once it expires', async () => {
    const verifier = new TokenVerifier(settings);
    const header = `Bearer ${await sign('alice', now() + 60)}`;
    await verifier.verifyBearer(header);
    vi.useFakeTimers({ now: Date.now() + 120_000 });
    await expect(verifier.verifyBearer(header)).rejects.toMatchObject({
      status: 401,
      message: 'The token has expired.',
    });
  });

  it('never caches a failure: a bad signature fails every time', async () => {
    const verifier = new TokenVerifier(settings);
    const header = `Bearer ${await sign('alice', now() + 60, 'x'.repeat(48))}`;
    for (let i = 0; i < 2; i++) await expect(verifier.verifyBearer(header)).rejects.toBeDefined();
  });
});

describe('VerifiedTokenCache', () => {
  const user = (exp: number, nbf?: number) => ({
    id: 'u',
    roles: [],
    claims: { exp, ...(nbf === undefined ? {} : { nbf }) },
  });

  it('keeps at most its size, evicting the least recently used', () => {
    const cache = new VerifiedTokenCache(2, 5, 60_000);
    cache.set('a', user(now() + 60));
    cache.set('b', user(now() + 60));
    cache.get('a');
    cache.set('c', user(now() + 60));
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toBeDefined();
    expect(cache.get('c')).toBeDefined();
  });

  it('honours exp and nbf with the clock tolerance, and re-verifies after its maximum age', () => {
    const cache = new VerifiedTokenCache(10, 5, 60_000);
    cache.set('expired', user(now() - 6));
    cache.set('within tolerance', user(now() - 2));
    cache.set('not yet', user(now() + 60, now() + 30));
    cache.set('no exp', { id: 'u', roles: [], claims: {} });
    expect(cache.get('expired')).toBeUndefined();
    expect(cache.get('within tolerance')).toBeDefined();
    expect(cache.get('not yet')).toBeUndefined();
    expect(cache.get('no exp')).toBeUndefined();
    cache.set('old', user(now() + 3600));
    vi.useFakeTimers({ now: Date.now() + 61_000 });
    expect(cache.get('old')).toBeUndefined();
    vi.useRealTimers();
  });
});
