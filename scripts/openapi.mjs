// npm run openapi [-- <file>]: writes the OpenAPI document of every feature (default dist/openapi.json).
// Runs the compiled app (`nest build` first) in Nest's preview mode: nothing connects to MongoDB or Redis.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import 'reflect-metadata';
import { ModulesContainer, NestFactory, RouterModule } from '@nestjs/core';
import { ROUTES } from '@nestjs/core/router/router-module.js';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { AppModule } from '../dist/app.module.js';
import { loadConfig } from '../dist/config/index.js';
import { buildOpenApiDocument } from '../dist/platform/http/index.js';

const out = resolve(process.argv[2] ?? 'dist/openapi.json');
// Every route is documented whatever this shell's role, and the document does not depend on auth settings.
const config = loadConfig({
  ...process.env,
  APP_ROLE: 'api',
  NODE_ENV: 'development',
});
const app = await NestFactory.create(
  AppModule.forRoot(config),
  new FastifyAdapter(),
  {
    preview: true,
    logger: ['error'],
    abortOnError: false,
  },
);
// Preview mode instantiates no module, so RouterModule never registers the features' route prefixes
// (/v1/...): construct each registration here, exactly as Nest would.
const modules = app.get(ModulesContainer);
for (const moduleRef of [...modules.values()].filter((m) => m.metatype === RouterModule)) {
  new RouterModule(modules, moduleRef.providers.get(ROUTES).instance);
}
const document = buildOpenApiDocument(app);
await app.close();
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, `${JSON.stringify(document, null, 2)}\n`);
process.stderr.write(
  `OpenAPI document with ${Object.keys(document.paths).length} paths written to ${out}\n`,
);
