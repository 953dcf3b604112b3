import { MongoClient } from 'mongodb';
import { EmbeddedMongoServer } from '../../../src/platform/database/embedded/index.js';
import { FakeStripe } from '../../support/stripe/fake-stripe.js';
import { TcpCut } from './tcp-cut.js';

/**
 * What the MongoDB outage scenarios run keel against: a fake Stripe, the embedded server behind a TCP
 * relay the test can cut (keel's MONGO_URL is `mongoUrl`), and a direct client that bypasses the relay
 * to check what was committed.
 */
export interface SeverableMongo {
  stripe: FakeStripe;
  mongo: EmbeddedMongoServer;
  relay: TcpCut;
  client: MongoClient;
  mongoUrl: string;
  stop(): Promise<void>;
}

export async function startSeverableMongo(): Promise<SeverableMongo> {
  const [stripe, mongo] = await Promise.all([
    FakeStripe.start(),
    EmbeddedMongoServer.start({ logger: { warn: () => undefined, error: () => undefined } }),
  ]);
  const relay = await TcpCut.start(mongo.port);
  const client = await MongoClient.connect(mongo.uri());
  return {
    stripe,
    mongo,
    relay,
    client,
    mongoUrl: relay.mongoUri(mongo.uri()),
    async stop() {
      await client.close();
      await relay.stop();
      await mongo.stop();
      await stripe.stop();
    },
  };
}
