import { Injectable, Logger } from '@nestjs/common';
import type { DomainEvent } from '../domain-event.js';
import { errorMessage } from '../errors.js';
import { EventBusSignals } from '../event-bus.signals.js';
import { EventsSettings } from '../events.settings.js';
import { EventQueues } from '../queues/event-queues.js';
import { OutboxStore } from './outbox.store.js';
import { PublishedMarks } from './published-marks.js';

export interface Delivery {
  event: DomainEvent;
  subscribers: string[];
}

const BATCH = 500;
const MAX_INFLIGHT = 4;
const WARN_EVERY_MS = 10_000;

/**
 * Pushes committed outbox records to BullMQ: one job per subscriber queue, jobId `<eventId>@<subscriber>`
 * (BullMQ rejects ':' in custom ids). The fast path runs after each commit, batched per event-loop turn,
 * never awaited by the request; when Redis is down it fails within EVENTS_PUBLISH_TIMEOUT_MS, logs one
 * warning per 10 s, and leaves the records to the sweep. Its publication marks are batched
 * (PublishedMarks).
 */
@Injectable()
export class OutboxRelay {
  private readonly logger = new Logger('OutboxRelay');
  private buffer: Delivery[] = [];
  private scheduled = false;
  private readonly inflight = new Set<Promise<void>>();
  private lastWarnAt = 0;
  private suppressed = 0;
  private readonly marks: PublishedMarks;

  constructor(
    private readonly queues: EventQueues,
    store: OutboxStore,
    private readonly settings: EventsSettings,
    private readonly signals: EventBusSignals,
  ) {
    this.marks = new PublishedMarks(
      store,
      this.graceMs,
      () => this.settings.config.EVENTS_REDELIVER_AFTER_MS,
      (count, err) =>
        this.warn(
          `could not mark ${count} outbox records published (${errorMessage(err)}); the sweep will re-check them`,
        ),
    );
  }

  /** How long a new record is left to the fast path before a sweep may take it. */
  get graceMs(): number {
    return this.settings.config.EVENTS_SWEEP_GRACE_MS;
  }

  /** Fast path: called once a transaction with outbox records has committed. */
  push(deliveries: Delivery[]): void {
    this.buffer.push(...deliveries);
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled || this.buffer.length === 0 || this.inflight.size >= MAX_INFLIGHT) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      while (this.buffer.length > 0 && this.inflight.size < MAX_INFLIGHT) {
        const batch = this.buffer.splice(0, BATCH);
        const run = this.publishFast(batch).finally(() => {
          this.inflight.delete(run);
          this.schedule();
        });
        this.inflight.add(run);
      }
    });
  }

  private async publishFast(batch: Delivery[]): Promise<void> {
    this.marks.add(await this.enqueue(batch, 'fast-path'));
  }

  /**
   * Adds the jobs and returns the ids of events whose every job was added. Adding is idempotent while a
   * job with that id exists; a later duplicate is absorbed by the subscriber's inbox.
   */
  async enqueue(deliveries: Delivery[], via: 'fast-path' | 'sweep'): Promise<string[]> {
    const bySubscriber = new Map<string, Delivery[]>();
    for (const d of deliveries) {
      for (const s of d.subscribers) {
        const list = bySubscriber.get(s);
        if (list) list.push(d);
        else bySubscriber.set(s, [d]);
      }
    }
    const failedEvents = new Set<string>();
    let firstError: string | undefined;
    await Promise.all(
      [...bySubscriber].map(async ([subscriber, list]) => {
        try {
          const jobs = list.map((d) => this.queues.jobFor(d.event, subscriber));
          await withTimeout(this.queues.of(subscriber).addBulk(jobs), this.settings.config.EVENTS_PUBLISH_TIMEOUT_MS);
        } catch (err) {
          firstError ??= errorMessage(err);
          for (const d of list) failedEvents.add(d.event.id);
        }
      }),
    );
    const ok = deliveries.filter((d) => !failedEvents.has(d.event.id)).map((d) => d.event.id);
    if (ok.length > 0) this.signals.signal({ kind: 'published', count: ok.length, via });
    if (failedEvents.size > 0) {
      this.signals.signal({
        kind: 'publish-failed',
        count: failedEvents.size,
        via,
        error: firstError!,
      });
      this.warn(
        `could not enqueue ${failedEvents.size} event(s) (${firstError}); they stay in the outbox for the sweep`,
      );
    }
    return ok;
  }

  private warn(message: string): void {
    const now = Date.now();
    if (now - this.lastWarnAt < WARN_EVERY_MS) {
      this.suppressed++;
      return;
    }
    const more = this.suppressed > 0 ? ` (${this.suppressed} similar warnings suppressed)` : '';
    this.lastWarnAt = now;
    this.suppressed = 0;
    this.logger.warn(message + more);
  }

  /** Flushes pending fast-path publishes, waiting at most `timeoutMs`; true if nothing is left. */
  async drain(timeoutMs = this.settings.config.EVENTS_DRAIN_TIMEOUT_MS): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while ((this.buffer.length > 0 || this.inflight.size > 0) && Date.now() < deadline) {
      this.schedule();
      await Promise.race([Promise.allSettled(this.inflight), sleep(Math.min(50, Math.max(1, deadline - Date.now())))]);
    }
    await Promise.race([this.marks.flush(), sleep(Math.max(1, deadline - Date.now()))]);
    return this.buffer.length === 0 && this.inflight.size === 0 && this.marks.size === 0;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Redis did not answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
