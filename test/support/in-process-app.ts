import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createApp } from '../../src/app.factory.js';
import { loadConfig } from '../../src/config/index.js';
import { isolate, sharedRedisUrl } from './isolation.js';

export interface RunningApp {
  app: NestFastifyApplication;
  url: string;
  close(): Promise<void>;
}

/**
 * Boots keel inside the test process on a free port. The suite gets its own database and Redis prefix;
 * MONGO_URL is passed through when set (run against a real MongoDB), otherwise the embedded server starts.
 */
export async function bootInProcess(
  suite: string,
  env: Record<string, string> = {},
  features?: Parameters<typeof createApp>[1],
): Promise<RunningApp> {
  const config = loadConfig({
    NODE_ENV: 'test',
    REDIS_URL: sharedRedisUrl,
    LOG_LEVEL: 'warn',
    ...(process.env.MONGO_URL ? { MONGO_URL: process.env.MONGO_URL } : {}),
    ...isolate(suite).env,
    ...env,
    PORT: '0',
    HOST: '127.0.0.1',
  });
  const app = await createApp(config, features);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const url = await app.getUrl();
  return { app, url: url.replace('[::1]', '127.0.0.1'), close: () => app.close() };
}
