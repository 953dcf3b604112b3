import { getSharedConfigToken } from '@nestjs/bullmq';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { setMaxListeners } from 'node:events';
import { Worker, type Job, type WorkerOptions } from 'bullmq';
import { BULL_WORKER_CONFIG } from '../../redis/index.js';
import { reviveEvent, type DomainEvent } from '../domain-event.js';
import { EventBusSignals } from '../event-bus.signals.js';
import { EventsSettings } from '../events.settings.js';
import { queueNameOf } from '../queues/event-queues.js';
import { SubscriberRegistry } from '../subscriptions/subscriber-registry.js';
import { DeliveryFailures } from './delivery-failures.js';
import { HandlerRunner } from './handler-runner.js';

/**
 * One BullMQ Worker per subscriber, created only in worker roles, on the blocking BULL_WORKER_CONFIG
 * connection, with the subscriber's concurrency. Failures go to DeliveryFailures (retry or dead letter).
 */
@Injectable()
export class EventWorkers {
  private readonly logger = new Logger('EventWorkers');
  private readonly workers: Worker[] = [];
  private readonly controllers = new Set<AbortController>();
  private lastErrorLog = 0;

  constructor(
    @Inject(getSharedConfigToken(BULL_WORKER_CONFIG))
    private readonly bullConfig: WorkerOptions,
    private readonly registry: SubscriberRegistry,
    private readonly runner: HandlerRunner,
    private readonly failures: DeliveryFailures,
    private readonly settings: EventsSettings,
    private readonly signals: EventBusSignals,
  ) {}

  start(): void {
    const c = this.settings.config;
    for (const sub of this.registry.all()) {
      const worker = new Worker(
        queueNameOf(sub.name),
        (job, token, signal) => this.process(sub.name, job, token, signal),
        {
          connection: this.bullConfig.connection,
          prefix: this.bullConfig.prefix,
          concurrency: this.settings.concurrencyOf(sub.name),
          lockDuration: c.EVENTS_LOCK_MS,
          stalledInterval: c.EVENTS_LOCK_MS,
          maxStalledCount: 3,
          removeOnComplete: {
            age: c.EVENTS_KEEP_COMPLETED_AGE_S,
            count: c.EVENTS_KEEP_COMPLETED,
          },
          removeOnFail: {
            age: c.EVENTS_KEEP_FAILED_AGE_S,
            count: c.EVENTS_KEEP_FAILED,
          },
          name: `keel:${c.APP_ROLE}:${process.pid}`,
        },
      );
      worker.on('error', (err) => this.logError(sub.name, err));
      worker.on('failed', (job, err) => void this.failures.afterFailed(sub.name, job, err));
      this.workers.push(worker);
    }
    if (this.workers.length > 0) this.logger.log(`processing ${this.workers.length} subscriber queue(s)`);
  }

  /** This process's workers (none outside worker roles or before bootstrap): readiness and job metrics read them. */
  list(): readonly Worker[] {
    return this.workers;
  }

  private async process(
    subscriber: string,
    job: Job<DomainEvent>,
    token?: string,
    bullSignal?: AbortSignal,
  ): Promise<unknown> {
    const event = reviveEvent(job.data);
    const attempt = job.attemptsMade + 1;
    const ctl = new AbortController();
    const onAbort = () => ctl.abort(bullSignal?.reason);
    if (bullSignal) {
      // BullMQ may share one signal between a worker's concurrent jobs.
      setMaxListeners(0, bullSignal);
      bullSignal.addEventListener('abort', onAbort, { once: true });
    }
    this.controllers.add(ctl);
    const started = Date.now();
    try {
      const { duplicate } = await this.runner.deliver(
        event,
        subscriber,
        attempt,
        ctl.signal,
        // Taken for the first time (no retry, no restart after a stall): no earlier run can have handled it.
        job.attemptsStarted <= 1,
      );
      this.signals.signal({
        kind: 'handled',
        subscriber,
        type: event.type,
        ms: Date.now() - started,
        duplicate,
      });
      return duplicate ? 'duplicate' : 'handled';
    } catch (err) {
      return this.failures.afterError(subscriber, event, job, err, attempt, token);
    } finally {
      bullSignal?.removeEventListener('abort', onAbort);
      this.controllers.delete(ctl);
    }
  }

  private logError(subscriber: string, err: Error): void {
    if (Date.now() - this.lastErrorLog < 10_000) return;
    this.lastErrorLog = Date.now();
    this.logger.warn(`${queueNameOf(subscriber)} worker: ${err.message}`);
  }

  /**
   * Stops taking jobs and waits up to `timeoutMs` for active ones; then aborts their signals and closes
   * without waiting (their jobs are redelivered after the lock expires, and the inbox absorbs repeats).
   */
  async close(timeoutMs = this.settings.config.EVENTS_DRAIN_TIMEOUT_MS): Promise<boolean> {
    const graceful = Promise.all(this.workers.map((w) => w.close())).then(() => true);
    const timer = new Promise<false>((r) => setTimeout(() => r(false), timeoutMs).unref());
    const clean = await Promise.race([graceful, timer]);
    if (!clean) {
      for (const ctl of this.controllers) ctl.abort(new Error('shutting down'));
      await Promise.allSettled(this.workers.map((w) => w.close(true)));
    }
    this.workers.length = 0;
    return clean;
  }
}
