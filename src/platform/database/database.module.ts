import { Global, Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { AppConfig, BootError, redactUrl } from '../../config/index.js';
import { MongoTarget } from './mongo-target.js';
import { TransactionRunner } from './transaction-runner.js';

@Global()
@Module({
  providers: [{ provide: MongoTarget, inject: [AppConfig], useFactory: (c: AppConfig) => MongoTarget.resolve(c) }],
  exports: [MongoTarget],
})
class MongoTargetModule {}

@Global()
@Module({
  imports: [
    MongoTargetModule,
    MongooseModule.forRootAsync({
      inject: [MongoTarget, AppConfig],
      useFactory: (target: MongoTarget, config: AppConfig) => ({
        uri: target.uri,
        dbName: config.MONGO_DB,
        serverSelectionTimeoutMS: config.BOOT_TIMEOUT_MS,
        // Fail once with a clear message instead of Nest's retry loop of stack traces.
        retryAttempts: 0,
        connectionErrorFactory: (err) =>
          new BootError(
            `MongoDB is unreachable at MONGO_URL=${redactUrl(target.uri)} (${err.message}).\n` +
              'Start MongoDB (a replica set: keel needs transactions) or fix MONGO_URL, or unset it to use the embedded server.',
          ) as never,
      }),
    }),
  ],
  providers: [TransactionRunner],
  exports: [TransactionRunner, MongooseModule],
})
export class DatabaseModule {}
