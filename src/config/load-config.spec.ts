import { BootError } from './boot-error.js';
import { loadConfig } from './load-config.js';

describe('loadConfig', () => {
  it('applies the documented defaults to an empty environment', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      PORT: 3000,
      HOST: '0.0.0.0',
      APP_ROLE: 'all',
      MONGO_DB: 'keel',
      REDIS_URL: 'redis://127.0.0.1:6379',
      REDIS_PREFIX: 'keel',
    });
    expect(c.MONGO_URL).toBeUndefined();
  });

  it('converts types and treats blank values as unset', () => {
    const c = loadConfig({ PORT: '8080', APP_ROLE: 'worker', MONGO_URL: '  ', HOST: '' });
    expect(c.PORT).toBe(8080);
    expect(c.APP_ROLE).toBe('worker');
    expect(c.MONGO_URL).toBeUndefined();
    expect(c.HOST).toBe('0.0.0.0');
  });

  it('rejects every bad variable in one message that says how to fix it', () => {
    let err: unknown;
    try {
      loadConfig({ PORT: 'eighty', APP_ROLE: 'web', MONGO_URL: 'postgres://x', REDIS_URL: 'localhost:6379' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(BootError);
    const msg = (err as Error).message;
    expect(msg).toMatch(/4 problems/);
    for (const name of ['PORT', 'APP_ROLE', 'MONGO_URL', 'REDIS_URL']) expect(msg).toContain(`- ${name} (`);
    expect(msg).toContain('one of api, worker, all');
    expect(msg).toContain('.env.example');
  });

  it('echoes the raw value but never credentials inside a URL', () => {
    expect(() => loadConfig({ PORT: '70000' })).toThrow(/PORT \("70000"\)/);
    expect(() => loadConfig({ MONGO_URL: 'mongo://admin:hunter2@db:27017' })).toThrow(/"mongo:\/\/\*\*\*@db:27017"/);
    expect(() => loadConfig({ MONGO_URL: 'mongo://admin:hunter2@db:27017' })).not.toThrow(/hunter2/);
    // a webhook URL carries its token in the path
    expect(() => loadConfig({ DISCORD_WEBHOOK_URL: 'not a url/api/webhooks/1/s3cr3t' })).toThrow(
      /DISCORD_WEBHOOK_URL \(set, hidden\)/,
    );
  });

  it('returns a frozen object', () => {
    expect(Object.isFrozen(loadConfig({}))).toBe(true);
  });
});
