import { Injectable } from '@nestjs/common';
import { DeadLetterStore, type DeadLetterFilter } from './dead-letters/dead-letter.store.js';
import { EventBusSignals } from './event-bus.signals.js';
import { OutboxStore } from './outbox/outbox.store.js';
import { EventQueues } from './queues/event-queues.js';

/** Read-only figures for metrics and dashboards; counters and live signals are on `signals`. */
@Injectable()
export class EventBusStats {
  constructor(
    private readonly deadLetters: DeadLetterStore,
    private readonly outbox: OutboxStore,
    private readonly queues: EventQueues,
    readonly signals: EventBusSignals,
  ) {}

  /** Dead letters waiting for an admin (status `dead` unless the filter says otherwise). */
  deadLetterCount(filter: DeadLetterFilter = {}): Promise<number> {
    return this.deadLetters.count({ status: 'dead', ...filter });
  }

  /** Committed events not yet handed to BullMQ, and the age of the oldest. */
  outboxLag(): Promise<{ unpublished: number; oldestAgeMs: number }> {
    return this.outbox.lag();
  }

  queueNames(): string[] {
    return this.queues.names();
  }

  /** BullMQ job counts per subscriber queue (needs Redis; rejects while it is down). */
  async queueCounts(): Promise<Record<string, Record<string, number>>> {
    const entries = await Promise.all(
      this.queues
        .all()
        .map(
          async (q) => [q.name, await q.getJobCounts('waiting', 'active', 'delayed', 'failed', 'completed')] as const,
        ),
    );
    return Object.fromEntries(entries);
  }
}
