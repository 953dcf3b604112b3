import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { createApp } from './app.factory.js';
import { BootError, loadConfig, redactUrl } from './config/index.js';
import { MongoTarget } from './platform/database/index.js';
import { drainOnSignals, drainOptions } from './platform/lifecycle/index.js';

async function bootstrap(): Promise<void> {
  const config = loadConfig();
  const app = await createApp(config);
  drainOnSignals(app, drainOptions(config));
  await app.listen({ port: config.PORT, host: config.HOST });
  const url = await app.getUrl();
  const mongo = app.get(MongoTarget).description;
  new Logger('keel').log(
    `role=${config.APP_ROLE} listening on ${url} (MongoDB: ${mongo}, Redis: ${redactUrl(config.REDIS_URL)})`,
  );
}

bootstrap().catch((err: unknown) => {
  if (err instanceof BootError) {
    process.stderr.write(`\nkeel could not start:\n${err.message}\n\n`);
  } else {
    process.stderr.write(
      `\nkeel could not start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
  }
  process.exit(1);
});
