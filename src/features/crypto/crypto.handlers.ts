import { Injectable } from '@nestjs/common';
import { ExclusiveCron, type CronContext } from '../../platform/scheduling/index.js';
import { ChainFollower } from './chain-follower.js';
import { followCronExpression } from './crypto.settings.js';

/**
 * The chain follower's clock: one pass per tick, once across replicas. The pass runs inline rather than
 * through the bus because it is itself the unit of idempotent work (guarded by its cursor) and a queued
 * copy per tick would only add latency. A failing node fails the tick (logged, counted in cron metrics);
 * the next tick starts again from the same cursor.
 */
@Injectable()
export class CryptoHandlers {
  constructor(private readonly follower: ChainFollower) {}

  @ExclusiveCron(followCronExpression(), { name: 'crypto.follow-chain', leaseMs: 60_000 })
  async followChain(ctx: CronContext): Promise<void> {
    await this.follower.sync(ctx.signal);
  }
}
