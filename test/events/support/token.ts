import { SignJWT } from 'jose';
import { DEV_AUTH } from '../../../src/platform/http/auth/auth-settings.js';

/** A bearer token the development auth default accepts; `roles: ['admin']` opens /admin. */
export async function devToken(sub: string, roles: string[] = []): Promise<string> {
  return new SignJWT({ roles })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(sub)
    .setIssuer(DEV_AUTH.issuer)
    .setAudience(DEV_AUTH.audience)
    .setIssuedAt()
    .setExpirationTime('1h')
    .sign(new TextEncoder().encode(DEV_AUTH.secret));
}
