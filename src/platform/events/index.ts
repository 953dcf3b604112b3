export { EventsModule } from './events.module.js';
export { type DomainEvent, type EventDraft, deliveryKey } from './domain-event.js';
export { PermanentError, EventValidationError, OutsideTransactionError } from './errors.js';
export { EventPublisher } from './outbox/event-publisher.js';
export { OutboxRelay } from './outbox/outbox-relay.js';
export { OutboxSweep } from './outbox/outbox-sweep.js';
export {
  Subscriber,
  OnEvent,
  type HandlerContext,
  type OnEventOptions,
  type SubscriberOptions,
} from './subscriptions/subscriber.decorators.js';
export { SubscriberRegistry } from './subscriptions/subscriber-registry.js';
export { EventQueues, queueNameOf } from './queues/event-queues.js';
export { EventWorkers } from './consume/event-workers.js';
export { EventBusLifecycle } from './event-bus.lifecycle.js';
export { EventBusSignals, type EventBusSignal } from './event-bus.signals.js';
export { EventBusStats } from './event-bus.stats.js';
export { DeadLetterStore } from './dead-letters/dead-letter.store.js';
export type { DeadLetterRecord } from './events.schemas.js';
