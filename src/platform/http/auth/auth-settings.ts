import type { AppConfig } from '../../../config/index.js';
import { BootError } from '../../../config/index.js';

/**
 * The development default when no auth is configured outside production. `npm run token` signs with
 * the same values, so a fresh checkout can call the API at once. Never accepted in production.
 */
export const DEV_AUTH = {
  secret: 'keel-development-only-secret-change-me-0123456789',
  issuer: 'keel-dev',
  audience: 'keel',
} as const;

const FIREBASE_JWKS = 'https://www.googleapis.com/service_accounts/v1/jwk/securetoken@system.gserviceaccount.com';

export type AuthSettings =
  | {
      mode: 'jwks';
      jwksUrl: string;
      issuer: string;
      audience: string;
      rolesClaim: string;
      adminRole: string;
    }
  | {
      mode: 'secret';
      secret: string;
      issuer?: string;
      audience?: string;
      rolesClaim: string;
      adminRole: string;
      devDefault: boolean;
    };

type AuthConfig = Pick<
  AppConfig,
  | 'NODE_ENV'
  | 'AUTH_FIREBASE_PROJECT_ID'
  | 'AUTH_JWKS_URL'
  | 'AUTH_ISSUER'
  | 'AUTH_AUDIENCE'
  | 'AUTH_JWT_SECRET'
  | 'AUTH_ROLES_CLAIM'
  | 'AUTH_ADMIN_ROLE'
>;

/** Decides how bearer tokens are verified; throws a BootError naming the variables to set when it cannot. */
export function resolveAuthSettings(c: AuthConfig): AuthSettings {
  const roles = {
    rolesClaim: c.AUTH_ROLES_CLAIM,
    adminRole: c.AUTH_ADMIN_ROLE,
  };
  const jwks = c.AUTH_FIREBASE_PROJECT_ID || c.AUTH_JWKS_URL;
  if (jwks && c.AUTH_JWT_SECRET) {
    throw new BootError(
      'Auth is configured twice: set either AUTH_JWT_SECRET (HS256) or AUTH_FIREBASE_PROJECT_ID / AUTH_JWKS_URL (JWKS), not both.',
    );
  }
  if (c.AUTH_FIREBASE_PROJECT_ID) {
    const project = c.AUTH_FIREBASE_PROJECT_ID;
    return {
      mode: 'jwks',
      jwksUrl: c.AUTH_JWKS_URL ?? FIREBASE_JWKS,
      issuer: c.AUTH_ISSUER ?? `https://securetoken.google.com/${project}`,
      audience: c.AUTH_AUDIENCE ?? project,
      ...roles,
    };
  }
  if (c.AUTH_JWKS_URL) {
    const missing = [!c.AUTH_ISSUER && 'AUTH_ISSUER', !c.AUTH_AUDIENCE && 'AUTH_AUDIENCE'].filter(Boolean);
    if (missing.length > 0) {
      throw new BootError(
        `AUTH_JWKS_URL is set but ${missing.join(' and ')} ${missing.length > 1 ? 'are' : 'is'} not: ` +
          'a key set alone would accept tokens minted for any other application using the same keys.',
      );
    }
    return {
      mode: 'jwks',
      jwksUrl: c.AUTH_JWKS_URL,
      issuer: c.AUTH_ISSUER!,
      audience: c.AUTH_AUDIENCE!,
      ...roles,
    };
  }
  if (c.AUTH_JWT_SECRET) {
    return {
      mode: 'secret',
      secret: c.AUTH_JWT_SECRET,
      issuer: c.AUTH_ISSUER,
      audience: c.AUTH_AUDIENCE,
      ...roles,
      devDefault: false,
    };
  }
  if (c.NODE_ENV === 'production') {
    throw new BootError(
      'No authentication is configured and NODE_ENV=production. Set AUTH_FIREBASE_PROJECT_ID (Firebase ID tokens), ' +
        'or AUTH_JWKS_URL with AUTH_ISSUER and AUTH_AUDIENCE (any OIDC provider), or AUTH_JWT_SECRET (HS256).',
    );
  }
  return {
    mode: 'secret',
    secret: DEV_AUTH.secret,
    issuer: c.AUTH_ISSUER ?? DEV_AUTH.issuer,
    audience: c.AUTH_AUDIENCE ?? DEV_AUTH.audience,
    ...roles,
    devDefault: true,
  };
}
