import { Injectable, Module, type DynamicModule } from '@nestjs/common';
import { InjectConnection } from '@nestjs/mongoose';
import type { Connection } from 'mongoose';
import { CryptoEvents } from '../../../src/features/crypto/crypto.events.js';
import { OnEvent, Subscriber, type DomainEvent, type HandlerContext } from '../../../src/platform/events/index.js';

export const RECORDED_EVENTS = 'test_crypto_events';

/** Another feature's view of crypto: records every public crypto event it receives, in its own transaction. */
@Subscriber('test.crypto-recorder')
@Injectable()
export class CryptoEventsRecorder {
  constructor(@InjectConnection() private readonly db: Connection) {}

  @OnEvent(CryptoEvents.detected)
  @OnEvent(CryptoEvents.confirmed)
  @OnEvent(CryptoEvents.expired)
  @OnEvent(CryptoEvents.rolledBack)
  async record(event: DomainEvent, ctx: HandlerContext): Promise<void> {
    await this.db.collection(RECORDED_EVENTS).insertOne(
      {
        _id: event.id as never,
        type: event.type,
        aggregateId: event.aggregateId,
        payload: event.payload,
        at: new Date(),
      },
      { session: ctx.session },
    );
  }
}

@Module({})
export class CryptoEventsRecorderModule {
  static forRole(): DynamicModule {
    return { module: CryptoEventsRecorderModule, providers: [CryptoEventsRecorder] };
  }
}
