import { createApp } from '../../src/app.factory.js';
import { BootError, loadConfig } from '../../src/config/index.js';
import { isolate, sharedRedisUrl } from '../support/isolation.js';

describe('auth configuration at boot', () => {
  it('refuses to boot in production without auth, naming the variables', async () => {
    const config = loadConfig({
      NODE_ENV: 'production',
      REDIS_URL: sharedRedisUrl,
      ...isolate('auth_prod').env,
    });
    const boot = createApp(config);
    await expect(boot).rejects.toBeInstanceOf(BootError);
    await expect(boot).rejects.toThrow(/AUTH_FIREBASE_PROJECT_ID.*AUTH_JWKS_URL.*AUTH_JWT_SECRET/s);
  });

  it('refuses a JWKS URL without issuer and audience', async () => {
    const config = loadConfig({
      AUTH_JWKS_URL: 'https://idp.example/jwks.json',
      REDIS_URL: sharedRedisUrl,
    });
    await expect(createApp(config)).rejects.toThrow(/AUTH_ISSUER and AUTH_AUDIENCE/);
  });
});
