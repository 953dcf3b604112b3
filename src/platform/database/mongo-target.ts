import { Logger, type OnApplicationShutdown } from '@nestjs/common';
import { AppConfig, redactUrl } from '../../config/index.js';
import { EmbeddedMongoServer } from './embedded/index.js';

/** Where MongoDB is: the configured MONGO_URL, or an embedded server started in this process. */
export class MongoTarget implements OnApplicationShutdown {
  private constructor(
    readonly uri: string,
    readonly embedded?: EmbeddedMongoServer,
  ) {}

  static async resolve(config: AppConfig): Promise<MongoTarget> {
    if (config.MONGO_URL) return new MongoTarget(config.MONGO_URL);
    const logger = new Logger('EmbeddedMongo');
    const server = await EmbeddedMongoServer.start({ logger });
    logger.warn(
      `MONGO_URL is unset: using keel's embedded in-memory MongoDB-compatible server on port ${server.port}. ` +
        'It is for development and tests only and keeps nothing after exit; set MONGO_URL to a MongoDB replica set in production.',
    );
    return new MongoTarget(server.uri(), server);
  }

  get description(): string {
    return this.embedded ? `embedded server on port ${this.embedded.port}` : redactUrl(this.uri);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.embedded?.stop();
  }
}
