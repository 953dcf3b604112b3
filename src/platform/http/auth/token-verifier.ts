import { createRemoteJWKSet, jwtVerify, type JWTPayload, type JWTVerifyGetKey, type JWTVerifyOptions } from 'jose';
import type { FastifyRequest } from 'fastify';
import { RequestContext } from '../../context/index.js';
import { forbidden, tokenProblem, unauthorized } from './auth-errors.js';
import type { AuthSettings } from './auth-settings.js';
import type { AuthUser } from './auth-user.js';
import { VerifiedTokenCache } from './verified-token-cache.js';

const ASYMMETRIC = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
];
const CLOCK_TOLERANCE_SEC = 5;
/** Distinct live tokens remembered; a few hundred bytes each. */
const CACHE_ENTRIES = 5000;
/** A cached token meets the full check again after this, so a key removed from the JWKS stops working. */
const CACHE_MAX_AGE_MS = 5 * 60_000;
const BEARER = /^Bearer +([A-Za-z0-9\-_=]+\.[A-Za-z0-9\-_=]*\.[A-Za-z0-9\-_=+/]*)\s*$/i;

/**
 * Verifies bearer JWTs with jose. In JWKS mode the key set is fetched once and cached (jose refetches on
 * an unknown `kid`, at most every 30 s), so a request costs one signature check and no I/O.
 */
export class TokenVerifier {
  private readonly verify: (token: string) => Promise<JWTPayload>;
  private readonly verified = new VerifiedTokenCache(CACHE_ENTRIES, CLOCK_TOLERANCE_SEC, CACHE_MAX_AGE_MS);

  constructor(readonly settings: AuthSettings) {
    const options: JWTVerifyOptions = {
      issuer: settings.issuer,
      audience: settings.audience,
      clockTolerance: CLOCK_TOLERANCE_SEC,
      requiredClaims: ['sub', 'exp'],
    };
    if (settings.mode === 'jwks') {
      const keys: JWTVerifyGetKey = createRemoteJWKSet(new URL(settings.jwksUrl), { timeoutDuration: 3000 });
      this.verify = async (token) => (await jwtVerify(token, keys, { ...options, algorithms: ASYMMETRIC })).payload;
    } else {
      const secret = new TextEncoder().encode(settings.secret);
      this.verify = async (token) => (await jwtVerify(token, secret, { ...options, algorithms: ['HS256'] })).payload;
    }
  }

  /** Verifies an `Authorization` header value; throws a 401 ProblemException (or 503 when keys are unreachable). */
  async verifyBearer(header: string | string[] | undefined): Promise<AuthUser> {
    if (header === undefined || header === '') throw unauthorized('A bearer token is required.');
    const match = typeof header === 'string' ? BEARER.exec(header) : null;
    if (!match) throw unauthorized('The Authorization header must be "Bearer <JWT>".', 'invalid_request');
    const token = match[1];
    const cached = this.verified.get(token);
    if (cached) return cached;
    let payload: JWTPayload;
    try {
      payload = await this.verify(token);
    } catch (err) {
      throw tokenProblem(err);
    }
    if (typeof payload.sub !== 'string' || payload.sub.length === 0 || payload.sub.length > 128) {
      throw unauthorized('The token has no usable subject.', 'invalid_token');
    }
    // Frozen: a cached user is shared by every request that presents the same token.
    const user: AuthUser = Object.freeze({
      id: payload.sub,
      roles: Object.freeze(this.rolesOf(payload)) as string[],
      claims: Object.freeze(payload) as Record<string, unknown>,
    });
    this.verified.set(token, user);
    return user;
  }

  isAdmin(user: AuthUser): boolean {
    return user.roles.includes(this.settings.adminRole);
  }

  /**
   * For routes outside Nest (e.g. Bull Board's Fastify routes): verifies the request's token, requires
   * the admin role, and records the user like the Nest guard does. Use it as an onRequest hook.
   */
  async assertAdmin(request: FastifyRequest): Promise<AuthUser> {
    const user = await this.authenticate(request);
    if (!this.isAdmin(user)) throw forbidden('This route requires the admin role.');
    return user;
  }

  /** Verifies the request's bearer token and attaches the user to the request and the request context. */
  async authenticate(request: FastifyRequest): Promise<AuthUser> {
    const user = await this.verifyBearer(request.headers.authorization);
    request.user = user;
    RequestContext.setActor(user.id);
    return user;
  }

  private rolesOf(payload: JWTPayload): string[] {
    const claim = payload[this.settings.rolesClaim];
    if (Array.isArray(claim)) return claim.filter((r): r is string => typeof r === 'string');
    if (typeof claim === 'string') return claim.split(/[\s,]+/).filter(Boolean);
    // Firebase custom claims are often flags ({ admin: true }): the claim's name is then the role.
    if (claim === true) return [this.settings.rolesClaim];
    return [];
  }
}
