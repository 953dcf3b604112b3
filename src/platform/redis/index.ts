export { RedisModule } from './redis.module.js';
export { RedisConnections } from './redis.connections.js';
export { RedisPubSub } from './redis-pubsub.js';
export { redisPreflight } from './redis.preflight.js';
export { BullRootModule, BULL_WORKER_CONFIG } from './bull-root.module.js';
