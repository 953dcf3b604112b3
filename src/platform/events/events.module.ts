import { Module, type DynamicModule } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { MongooseModule } from '@nestjs/mongoose';
import { routesFor, type AppRole } from '../../config/index.js';
import { DeadLettersController } from './admin/dead-letters.controller.js';
import { DeliveryFailures } from './consume/delivery-failures.js';
import { EventWorkers } from './consume/event-workers.js';
import { HandlerRunner } from './consume/handler-runner.js';
import { DeadLetterReplay } from './dead-letters/dead-letter-replay.js';
import { DeadLetterStore } from './dead-letters/dead-letter.store.js';
import { EventBusLifecycle } from './event-bus.lifecycle.js';
import { EventBusSignals } from './event-bus.signals.js';
import { EventBusStats } from './event-bus.stats.js';
import {
  DEAD_LETTER_MODEL,
  DeadLetterSchema,
  INBOX_MODEL,
  InboxSchema,
  OUTBOX_MODEL,
  OutboxSchema,
} from './events.schemas.js';
import { EventsSettings } from './events.settings.js';
import { EventPublisher } from './outbox/event-publisher.js';
import { OutboxRelay } from './outbox/outbox-relay.js';
import { OutboxSweep } from './outbox/outbox-sweep.js';
import { OutboxStore } from './outbox/outbox.store.js';
import { EventQueues } from './queues/event-queues.js';
import { SubscriberRegistry } from './subscriptions/subscriber-registry.js';

/**
 * The event bus (docs/events.md). Global, so features inject EventPublisher without importing it.
 * Every role registers the queues and discovers the subscribers; only worker roles process and sweep.
 */
@Module({})
export class EventsModule {
  static forRole(role: AppRole): DynamicModule {
    return {
      module: EventsModule,
      global: true,
      imports: [
        DiscoveryModule,
        MongooseModule.forFeature([
          { name: OUTBOX_MODEL, schema: OutboxSchema },
          { name: INBOX_MODEL, schema: InboxSchema },
          { name: DEAD_LETTER_MODEL, schema: DeadLetterSchema },
        ]),
      ],
      controllers: routesFor(role, [DeadLettersController]),
      providers: [
        EventsSettings,
        EventBusSignals,
        SubscriberRegistry,
        EventQueues,
        OutboxStore,
        OutboxRelay,
        OutboxSweep,
        EventPublisher,
        HandlerRunner,
        EventWorkers,
        DeliveryFailures,
        DeadLetterStore,
        DeadLetterReplay,
        EventBusStats,
        EventBusLifecycle,
      ],
      exports: [
        EventPublisher,
        EventBusStats,
        EventBusSignals,
        EventBusLifecycle,
        EventQueues,
        OutboxRelay,
        OutboxSweep,
        EventWorkers,
        SubscriberRegistry,
        DeadLetterStore,
      ],
    };
  }
}
