import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppModule } from './app.module.js';
import { AppConfig } from './config/index.js';
import { configureHttpEdge, httpServerOptions } from './platform/http/index.js';
import { createAppLogger } from './platform/logging/index.js';
import { redisPreflight } from './platform/redis/index.js';

function trustProxy(value: string): boolean | string[] {
  if (value === 'true' || value === 'false') return value === 'true';
  return value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** Builds (but does not start listening) the keel application for the given configuration. */
export async function createApp(
  config: AppConfig,
  features?: Parameters<typeof AppModule.forRoot>[1],
): Promise<NestFastifyApplication> {
  await redisPreflight(config.REDIS_URL, config.BOOT_TIMEOUT_MS);
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.forRoot(config, features),
    new FastifyAdapter({ trustProxy: trustProxy(config.TRUST_PROXY), ...httpServerOptions(config) }),
    // rawBody keeps the exact request bytes for webhook signature checks (Stripe).
    { rawBody: true, abortOnError: false, bufferLogs: false, logger: createAppLogger(config) },
  );
  await configureHttpEdge(app, config);
  return app;
}
