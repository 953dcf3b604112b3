import { BullModule } from '@nestjs/bullmq';
import { Module } from '@nestjs/common';
import { RedisConnections } from './redis.connections.js';

/** Config key for BullMQ workers: `@Processor({ name, configKey: BULL_WORKER_CONFIG })`. */
export const BULL_WORKER_CONFIG = 'bull-worker';

/**
 * BullMQ root configuration. Queues (producers) get fail-fast connections so an API request never waits
 * on a Redis that is down; workers get blocking connections that retry forever.
 */
@Module({
  imports: [
    BullModule.forRootAsync({
      inject: [RedisConnections],
      useFactory: (redis: RedisConnections) => ({ connection: redis.bullProducer(), prefix: redis.prefix }),
    }),
    BullModule.forRootAsync(BULL_WORKER_CONFIG, {
      inject: [RedisConnections],
      useFactory: (redis: RedisConnections) => ({ connection: redis.bullWorker(), prefix: redis.prefix }),
    }),
  ],
  exports: [BullModule],
})
export class BullRootModule {}
