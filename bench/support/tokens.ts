import { randomBytes } from 'node:crypto';
import { SignJWT } from 'jose';

/** The HS256 auth configuration the benchmarks give keel (NODE_ENV=production requires one). */
export function benchAuth(): {
  env: Record<string, string>;
  tokens(users: number): Promise<string[]>;
} {
  const secret = randomBytes(32).toString('hex');
  const issuer = 'keel-bench';
  const audience = 'keel-bench-api';
  return {
    env: {
      AUTH_JWT_SECRET: secret,
      AUTH_ISSUER: issuer,
      AUTH_AUDIENCE: audience,
    },
    tokens: (users) =>
      Promise.all(
        Array.from({ length: users }, (_, i) =>
          new SignJWT({})
            .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
            .setSubject(`bench-user-${i}`)
            .setIssuer(issuer)
            .setAudience(audience)
            .setIssuedAt()
            .setExpirationTime('2h')
            .sign(new TextEncoder().encode(secret)),
        ),
      ),
  };
}
