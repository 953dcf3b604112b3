// Runs the embedded server on its own, so several keel processes can share one:
//   EMBEDDED_MONGO_PORT=27017 node --import tsx src/platform/database/embedded/standalone.ts
import { EmbeddedMongoServer } from './index.js';

const port = Number(process.env.EMBEDDED_MONGO_PORT ?? 27017);
const host = process.env.EMBEDDED_MONGO_HOST ?? '127.0.0.1';
const server = await EmbeddedMongoServer.start({ port, host });
process.stdout.write(`${server.uri()}\n`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void server.stop().then(() => process.exit(0));
  });
}
