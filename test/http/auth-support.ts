import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createApp } from '../../src/app.factory.js';
import { loadConfig } from '../../src/config/index.js';
import { adminOnRequestHook, TokenVerifier } from '../../src/platform/http/index.js';
import { isolate, sharedRedisUrl } from '../support/isolation.js';
import { notesFeature } from './fixtures/notes.module.js';
import { call } from './http-app.js';

/** Boots keel with the notes resource plus a raw Fastify admin route, the way Bull Board is mounted. */
export async function bootWithRawAdminRoute(suite: string, env: Record<string, string>) {
  const config = loadConfig({
    NODE_ENV: 'test',
    REDIS_URL: sharedRedisUrl,
    LOG_LEVEL: 'warn',
    ...isolate(suite).env,
    ...env,
  });
  const app: NestFastifyApplication = await createApp(config, [notesFeature]);
  app
    .getHttpAdapter()
    .getInstance()
    .get('/admin/raw-fastify-route', { onRequest: adminOnRequestHook(app.get(TokenVerifier)) }, async () => ({
      board: true,
    }));
  await app.listen({ port: 0, host: '127.0.0.1' });
  return { app, url: (await app.getUrl()).replace('[::1]', '127.0.0.1') };
}

export function expectUnauthorized(res: Awaited<ReturnType<typeof call>>) {
  expect(res.status).toBe(401);
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(res.headers.get('www-authenticate')).toMatch(/^Bearer realm="keel"/);
  expect(res.body).toMatchObject({
    status: 401,
    title: 'Unauthorized',
    type: 'urn:keel:problem:unauthorized',
  });
}
