import { Injectable, Logger } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import type { ClientSession, Model } from 'mongoose';
import { RequestContext } from '../../context/index.js';
import { EVENT_TYPE_PATTERN, newEventId, type DomainEvent, type EventDraft } from '../domain-event.js';
import { OutsideTransactionError } from '../errors.js';
import { OUTBOX_MODEL, type OutboxRecord } from '../events.schemas.js';
import { SubscriberRegistry } from '../subscriptions/subscriber-registry.js';
import { afterCommit } from './after-commit.js';
import { OutboxRelay } from './outbox-relay.js';

/**
 * Publishes domain events the only safe way: as outbox records written in the caller's transaction, so
 * the events exist exactly when the state change does. After the commit the relay pushes them to BullMQ
 * (fast path) without the caller waiting; whatever it cannot push, the sweep does later.
 */
@Injectable()
export class EventPublisher {
  private readonly logger = new Logger('EventPublisher');

  constructor(
    @InjectModel(OUTBOX_MODEL) private readonly outbox: Model<OutboxRecord>,
    private readonly registry: SubscriberRegistry,
    private readonly relay: OutboxRelay,
  ) {}

  /**
   * Stamps the drafts (id, time, correlation and actor ids from the request context) and writes them in
   * `session`'s transaction. Throws OutsideTransactionError unless the session is in a transaction.
   */
  async publish<P, T extends string>(session: ClientSession, draft: EventDraft<P, T>): Promise<DomainEvent<P, T>>;
  async publish(session: ClientSession, drafts: EventDraft[]): Promise<DomainEvent[]>;
  async publish(session: ClientSession, input: EventDraft | EventDraft[]): Promise<DomainEvent | DomainEvent[]> {
    if (!session?.inTransaction?.()) {
      throw new OutsideTransactionError(
        'EventPublisher.publish needs the session of an open transaction (TransactionRunner.run gives one): events must commit with the state they describe',
      );
    }
    const drafts = Array.isArray(input) ? input : [input];
    const context = RequestContext.current();
    const now = new Date();
    const events = drafts.map((d): DomainEvent => {
      if (!EVENT_TYPE_PATTERN.test(d.type)) {
        throw new Error(`event type '${d.type}' is not <feature>.<entity>.<past-tense verb>`);
      }
      const origin = d.context ?? context;
      return {
        id: newEventId(),
        type: d.type,
        version: d.version ?? 1,
        occurredAt: now,
        aggregateId: d.aggregateId,
        actorId: origin?.actorId,
        correlationId: origin?.correlationId ?? newEventId(),
        payload: d.payload,
      };
    });
    const records = events
      .map((e) => ({
        event: e,
        subscribers: this.registry.subscribersOf(e.type),
      }))
      .filter((r) => {
        if (r.subscribers.length === 0) this.logger.debug(`${r.event.type} has no subscribers: nothing to deliver`);
        return r.subscribers.length > 0;
      });
    if (records.length > 0) {
      const dueAt = new Date(now.getTime() + this.relay.graceMs);
      const docs = records.map(
        ({ event: { id, ...rest }, subscribers }) =>
          ({
            _id: id,
            ...rest,
            subscribers,
            dueAt,
            publishedAt: null,
          }) as never,
      );
      // The driver's bulk-write path costs several times an insertOne, and one record is the common case.
      if (docs.length === 1) await this.outbox.collection.insertOne(docs[0]!, { session });
      else await this.outbox.collection.insertMany(docs, { session });
      afterCommit(session, records, (committed) => this.relay.push(committed));
    }
    return Array.isArray(input) ? events : events[0]!;
  }
}
