import { ConflictException, Injectable, NotFoundException, ServiceUnavailableException } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import type { Model } from 'mongoose';
import { TransactionRunner } from '../../database/index.js';
import { reviveEvent } from '../domain-event.js';
import { errorMessage } from '../errors.js';
import { EventBusSignals } from '../event-bus.signals.js';
import { OUTBOX_MODEL, type OutboxRecord } from '../events.schemas.js';
import { OutboxRelay } from '../outbox/outbox-relay.js';
import { EventQueues } from '../queues/event-queues.js';
import { SubscriberRegistry } from '../subscriptions/subscriber-registry.js';
import { DeadLetterStore, type DeadLetterFilter } from './dead-letter.store.js';

const BATCH_LIMIT = 1000;

/**
 * Replays dead letters with their original event id. A replay goes through the outbox like any
 * publication (so it survives a Redis loss right after): the old failed job is removed from the
 * subscriber's queue (it would block the deterministic job id), the event is re-queued in the outbox for
 * that subscriber in one transaction with the dead letter turning `replayed`, and the fast path pushes it.
 */
@Injectable()
export class DeadLetterReplay {
  constructor(
    private readonly store: DeadLetterStore,
    @InjectModel(OUTBOX_MODEL) private readonly outbox: Model<OutboxRecord>,
    private readonly tx: TransactionRunner,
    private readonly queues: EventQueues,
    private readonly relay: OutboxRelay,
    private readonly registry: SubscriberRegistry,
    private readonly signals: EventBusSignals,
  ) {}

  async replayOne(id: string): Promise<void> {
    const dl = await this.store.get(id);
    if (!dl) throw new NotFoundException(`no dead letter '${id}'`);
    if (dl.status !== 'dead')
      throw new ConflictException(`dead letter '${id}' was already replayed and has not failed again`);
    if (!this.registry.handler(dl.subscriber, dl.type)) {
      throw new ConflictException(`subscriber '${dl.subscriber}' no longer handles '${dl.type}': nothing to replay to`);
    }
    const queue = this.queues.of(dl.subscriber);
    try {
      const old = await queue.getJob(id);
      if (old) {
        const state = await old.getState();
        if (state === 'active' || state === 'waiting' || state === 'delayed' || state === 'prioritized') {
          throw new ConflictException(`delivery '${id}' is already ${state} in its queue`);
        }
        await old.remove();
      }
    } catch (err) {
      if (err instanceof ConflictException) throw err;
      throw new ServiceUnavailableException(`Redis is unavailable, cannot replay now (${errorMessage(err)})`);
    }
    const event = reviveEvent(dl.event);
    const { id: eventId, ...fields } = event;
    await this.tx.run(async (session) => {
      await this.outbox.updateOne(
        { _id: eventId },
        {
          $setOnInsert: fields,
          $addToSet: { subscribers: dl.subscriber },
          $set: { dueAt: new Date(Date.now() + this.relay.graceMs) },
        },
        { upsert: true, session },
      );
      await this.store.markReplayed(id, session);
    });
    this.relay.push([{ event, subscribers: [dl.subscriber] }]);
    this.signals.signal({
      kind: 'replayed',
      subscriber: dl.subscriber,
      type: dl.type,
    });
  }

  /** Replays up to 1000 dead letters matching the filter; returns how many were replayed and which failed. */
  async replayMany(filter: DeadLetterFilter): Promise<{
    replayed: number;
    failed: Array<{ id: string; error: string }>;
  }> {
    const ids = await this.store.ids({ ...filter, status: 'dead' }, BATCH_LIMIT);
    let replayed = 0;
    const failed: Array<{ id: string; error: string }> = [];
    for (const { _id } of ids) {
      try {
        await this.replayOne(_id);
        replayed++;
      } catch (err) {
        failed.push({
          id: _id,
          error: err instanceof Error ? err.message : String(err),
        });
      }
    }
    return { replayed, failed };
  }
}
