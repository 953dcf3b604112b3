import { Injectable, Module, type DynamicModule } from '@nestjs/common';
import { InjectConnection } from '@nestjs/mongoose';
import type { Connection } from 'mongoose';
import { PaymentsEvents } from '../../../src/features/payments/payments.events.js';
import { OnEvent, Subscriber, type DomainEvent, type HandlerContext } from '../../../src/platform/events/index.js';

export const RECORDED_EVENTS = 'test_payment_events';

/** Another feature's view of payments: records every public payments event it receives, in its own transaction. */
@Subscriber('test.payments-recorder')
@Injectable()
export class PaymentEventsRecorder {
  constructor(@InjectConnection() private readonly db: Connection) {}

  @OnEvent(PaymentsEvents.succeeded)
  @OnEvent(PaymentsEvents.failed)
  @OnEvent(PaymentsEvents.refunded)
  async record(event: DomainEvent, ctx: HandlerContext): Promise<void> {
    await this.db
      .collection(RECORDED_EVENTS)
      .insertOne(
        { _id: event.id as never, type: event.type, aggregateId: event.aggregateId, payload: event.payload },
        { session: ctx.session },
      );
  }
}

@Module({})
export class PaymentEventsRecorderModule {
  static forRole(): DynamicModule {
    return { module: PaymentEventsRecorderModule, providers: [PaymentEventsRecorder] };
  }
}
