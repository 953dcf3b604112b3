import { Injectable, Logger } from '@nestjs/common';
import { DelayedError, UnrecoverableError, type Job } from 'bullmq';
import { DeadLetterStore } from '../dead-letters/dead-letter.store.js';
import { reviveEvent, type DomainEvent } from '../domain-event.js';
import { errorMessage, isPermanent } from '../errors.js';
import { EventBusSignals } from '../event-bus.signals.js';
import { errorHistory } from './error-history.js';

const HANDLED = Symbol('keel:events:failure-handled');
const PARK_MS = 5000;

type Marked = Error & { [HANDLED]?: boolean };

/**
 * What happens when a handler throws. Before the last attempt: rethrow, BullMQ retries with backoff.
 * On the last attempt, or at once for a permanent error: the dead letter is written to MongoDB before
 * BullMQ marks the job failed; if MongoDB refuses it, the job is parked for 5 s and the attempt runs
 * again, so no dead letter is lost.
 */
@Injectable()
export class DeliveryFailures {
  private readonly logger = new Logger('EventWorkers');

  constructor(
    private readonly deadLetters: DeadLetterStore,
    private readonly signals: EventBusSignals,
  ) {}

  /** Called from the processor's catch; always throws what BullMQ should see. */
  async afterError(
    subscriber: string,
    event: DomainEvent,
    job: Job<DomainEvent>,
    err: unknown,
    attempt: number,
    token?: string,
  ): Promise<never> {
    const permanent = isPermanent(err);
    const final = permanent || attempt >= (job.opts.attempts ?? 1);
    this.signals.signal({
      kind: 'handler-failed',
      subscriber,
      type: event.type,
      attempt,
      final,
      error: errorMessage(err),
    });
    if (final) {
      try {
        await this.deadLetters.record(event, subscriber, attempt, errorHistory(job, err, attempt));
        this.signals.signal({
          kind: 'dead-lettered',
          subscriber,
          type: event.type,
        });
      } catch (dlErr) {
        this.logger.error(`cannot dead-letter ${job.id} (${errorMessage(dlErr)}); parking it for ${PARK_MS} ms`);
        await job.moveToDelayed(Date.now() + PARK_MS, token);
        throw new DelayedError();
      }
    }
    const out: Marked = permanent
      ? new UnrecoverableError(errorMessage(err))
      : err instanceof Error
        ? err
        : new Error(String(err));
    out[HANDLED] = true;
    throw out;
  }

  /** BullMQ's `failed` event: jobs it failed itself (stalled too often after crashes) still get a dead letter. */
  async afterFailed(subscriber: string, job: Job<DomainEvent> | undefined, err: Marked): Promise<void> {
    if (!job || err[HANDLED] || err instanceof DelayedError) return;
    try {
      await this.deadLetters.record(
        reviveEvent(job.data),
        subscriber,
        job.attemptsMade,
        errorHistory(job, err, job.attemptsMade),
      );
      this.signals.signal({
        kind: 'dead-lettered',
        subscriber,
        type: job.data.type,
      });
    } catch (dlErr) {
      this.logger.error(`cannot dead-letter ${job.id} after "${err.message}": ${errorMessage(dlErr)}`);
    }
  }
}
