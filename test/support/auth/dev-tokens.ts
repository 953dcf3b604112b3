import { SignJWT } from 'jose';
import { DEV_AUTH } from '../../../src/platform/http/index.js';

export interface DevTokenOptions {
  roles?: string[];
  /** Seconds from now; negative for an expired token. */
  expiresIn?: number;
  notBefore?: number;
  issuer?: string;
  audience?: string;
  secret?: string;
  claims?: Record<string, unknown>;
}

/** An HS256 token the embedded development default accepts (what `npm run token` prints). */
export async function devToken(sub: string, options: DevTokenOptions = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const jwt = new SignJWT({
    ...(options.roles ? { roles: options.roles } : {}),
    ...options.claims,
  })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(sub)
    .setIssuer(options.issuer ?? DEV_AUTH.issuer)
    .setAudience(options.audience ?? DEV_AUTH.audience)
    .setIssuedAt(now)
    .setExpirationTime(now + (options.expiresIn ?? 600));
  if (options.notBefore !== undefined) jwt.setNotBefore(now + options.notBefore);
  return jwt.sign(new TextEncoder().encode(options.secret ?? DEV_AUTH.secret));
}

/** `{ authorization: 'Bearer …' }` for fetch. */
export async function bearer(sub: string, options: DevTokenOptions = {}): Promise<Record<string, string>> {
  return { authorization: `Bearer ${await devToken(sub, options)}` };
}

/** An unsecured JWT (`alg: none`) with otherwise valid claims. */
export function unsecuredToken(
  sub: string,
  issuer: string = DEV_AUTH.issuer,
  audience: string = DEV_AUTH.audience,
): string {
  const now = Math.floor(Date.now() / 1000);
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${part({ alg: 'none', typ: 'JWT' })}.${part({ sub, iss: issuer, aud: audience, iat: now, exp: now + 600 })}.`;
}
