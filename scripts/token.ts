// npm run token -- --sub alice [--admin] [--roles a,b] [--ttl 86400]
// Prints a bearer token the running server accepts when it verifies HS256 tokens (the development
// default, or AUTH_JWT_SECRET with AUTH_ISSUER / AUTH_AUDIENCE). Reads the same environment as the server.
import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { SignJWT } from 'jose';
import { loadConfig } from '../src/config/index.js';
import { resolveAuthSettings } from '../src/platform/http/auth/auth-settings.js';

function fail(message: string): never {
  process.stderr.write(`npm run token: ${message}\n`);
  process.exit(1);
}

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    sub: { type: 'string' },
    admin: { type: 'boolean', default: false },
    roles: { type: 'string', default: '' },
    ttl: { type: 'string', default: '86400' },
  },
});
if (!values.sub)
  fail(
    '--sub <user id> is required, e.g. npm run token -- --sub alice [--admin]',
  );
const ttl = Number(values.ttl);
if (!Number.isInteger(ttl) || ttl <= 0)
  fail('--ttl must be a positive number of seconds');

let settings;
try {
  settings = resolveAuthSettings(loadConfig());
} catch (err) {
  fail((err as Error).message);
}
if (settings.mode !== 'secret') {
  fail(
    'the server verifies tokens from a JWKS (AUTH_JWKS_URL / AUTH_FIREBASE_PROJECT_ID): get a token from that ' +
      'identity provider (for Firebase, an ID token from the client SDK: user.getIdToken()).',
  );
}

const roles = values.roles
  .split(',')
  .map((r) => r.trim())
  .filter(Boolean);
if (values.admin) roles.push(settings.adminRole);
const now = Math.floor(Date.now() / 1000);
const jwt = new SignJWT(
  roles.length > 0 ? { [settings.rolesClaim]: roles } : {},
)
  .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
  .setSubject(values.sub)
  .setIssuedAt(now)
  .setExpirationTime(now + ttl);
if (settings.issuer) jwt.setIssuer(settings.issuer);
if (settings.audience) jwt.setAudience(settings.audience);
process.stdout.write(
  `${await jwt.sign(new TextEncoder().encode(settings.secret))}\n`,
);
