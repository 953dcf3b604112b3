import { randomBytes } from 'node:crypto';
import { MongoClient, type Db } from 'mongodb';
import { EmbeddedMongoServer } from '../../src/platform/database/embedded/index.js';

/** True when the suite runs against a real MongoDB (MONGO_URL) rather than the embedded server. */
export const realMongo = Boolean(process.env.MONGO_URL);

export interface Target {
  /** Connection string without a database name; use `dbName` for the suite's own database. */
  uri: string;
  dbName: string;
  /** The embedded server, when the suite runs against it. */
  embedded?: EmbeddedMongoServer;
  /** host and port of the (first) server, for raw wire-protocol tests. */
  host: string;
  port: number;
  stop(): Promise<void>;
}

/**
 * The server a conformance suite runs against: MONGO_URL when set (a real MongoDB replica set),
 * otherwise an embedded server started for this suite. Each suite gets its own database.
 */
export async function startTarget(suite: string): Promise<Target> {
  const dbName = `conf_${suite.replace(/\W/g, '_')}_${randomBytes(4).toString('hex')}`;
  const url = process.env.MONGO_URL;
  if (url) {
    const first = /^mongodb:\/\/(?:[^@/]*@)?([^,/?]+)/.exec(url)?.[1] ?? '127.0.0.1:27017';
    const [host, port] = first.startsWith('[')
      ? [first.slice(1, first.indexOf(']')), first.split(']:')[1]]
      : first.split(':');
    return {
      uri: url,
      dbName,
      host,
      port: Number(port ?? 27017),
      async stop() {
        const client = await MongoClient.connect(url);
        await client
          .db(dbName)
          .dropDatabase()
          .catch(() => undefined);
        await client.close();
      },
    };
  }
  const embedded = await EmbeddedMongoServer.start({
    logger: { warn: () => undefined, error: (m) => console.error(m) },
  });
  return { uri: embedded.uri(), dbName, embedded, host: '127.0.0.1', port: embedded.port, stop: () => embedded.stop() };
}

/** A connected driver client and the suite's database; `close` also stops the target. */
export async function connectDriver(
  suite: string,
): Promise<{ target: Target; client: MongoClient; db: Db; close(): Promise<void> }> {
  const target = await startTarget(suite);
  const client = await MongoClient.connect(target.uri, { serverSelectionTimeoutMS: 5000 });
  return {
    target,
    client,
    db: client.db(target.dbName),
    async close() {
      await client.close();
      await target.stop();
    },
  };
}
