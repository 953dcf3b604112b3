import { Global, Module } from '@nestjs/common';
import { RedisConnections } from './redis.connections.js';
import { RedisPubSub } from './redis-pubsub.js';

@Global()
@Module({
  providers: [RedisConnections, RedisPubSub],
  exports: [RedisConnections, RedisPubSub],
})
export class RedisModule {}
