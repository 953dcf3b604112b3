// What src/main.ts does, with bench-only feature modules mounted beside keel's own features. Runs from
// a snapshot (bench/support/build.ts), where `../../src` is the built dist/.
import 'reflect-metadata';
import { Logger, type DynamicModule } from '@nestjs/common';
import { createApp } from '../../src/app.factory.js';
import { loadConfig, type AppRole } from '../../src/config/index.js';
import { FEATURES } from '../../src/features/index.js';
import { drainOnSignals, drainOptions } from '../../src/platform/lifecycle/index.js';

export async function bootKeel(extra: Array<(role: AppRole) => DynamicModule>): Promise<void> {
  try {
    const config = loadConfig();
    const app = await createApp(config, [...FEATURES, ...extra]);
    drainOnSignals(app, drainOptions(config));
    await app.listen({ port: config.PORT, host: config.HOST });
    new Logger('keel').log(`role=${config.APP_ROLE} listening on ${await app.getUrl()} (bench build)`);
  } catch (err) {
    process.stderr.write(
      `\nkeel (bench build) could not start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exit(1);
  }
}
