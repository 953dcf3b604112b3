import { getSharedConfigToken } from '@nestjs/bullmq';
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { Queue, type JobsOptions, type QueueOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import { RedisConnections } from '../../redis/index.js';
import { deliveryKey, type DomainEvent } from '../domain-event.js';
import { EventsSettings } from '../events.settings.js';
import { SubscriberRegistry } from '../subscriptions/subscriber-registry.js';

/**
 * BullMQ queue of a subscriber. The braces are a Redis Cluster hash tag: all of one queue's keys land in
 * one slot, different queues spread across slots (whatever REDIS_PREFIX is).
 */
export function queueNameOf(subscriber: string): string {
  return `events.{${subscriber}}`;
}

/**
 * The producer side of every subscriber queue, created in every role. All queues share one fail-fast
 * connection (no offline queue, one retry), so a Redis outage makes `add` fail at once instead of
 * holding a request.
 */
@Injectable()
export class EventQueues implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('EventQueues');
  private readonly queues = new Map<string, Queue>();
  private connection?: Redis;

  constructor(
    @Inject(getSharedConfigToken()) private readonly bullConfig: QueueOptions,
    private readonly redis: RedisConnections,
    private readonly registry: SubscriberRegistry,
    private readonly settings: EventsSettings,
  ) {}

  /** Every role registers every subscriber's queue at boot, while Redis is known to answer. */
  onApplicationBootstrap(): void {
    this.all();
  }

  /** The producer queue of a subscriber (created on first use). */
  of(subscriber: string): Queue {
    let queue = this.queues.get(subscriber);
    if (!queue) {
      const c = this.settings.config;
      this.connection ??= this.openConnection();
      queue = new Queue(queueNameOf(subscriber), {
        connection: this.connection,
        prefix: this.bullConfig.prefix,
        streams: { events: { maxLen: c.EVENTS_STREAM_MAXLEN } },
        defaultJobOptions: {
          removeOnComplete: {
            age: c.EVENTS_KEEP_COMPLETED_AGE_S,
            count: c.EVENTS_KEEP_COMPLETED,
          },
          removeOnFail: {
            age: c.EVENTS_KEEP_FAILED_AGE_S,
            count: c.EVENTS_KEEP_FAILED,
          },
        },
      });
      queue.on('error', (err) => this.logger.debug(`${queueNameOf(subscriber)}: ${err.message}`));
      this.queues.set(subscriber, queue);
    }
    return queue;
  }

  /** Queue names of every subscriber, for dashboards and metrics. */
  names(): string[] {
    return this.registry.all().map((s) => queueNameOf(s.name));
  }

  /** Every subscriber's producer queue (e.g. for Bull Board). */
  all(): Queue[] {
    return this.registry.all().map((s) => this.of(s.name));
  }

  /** The BullMQ job that delivers `event` to `subscriber`: deterministic id, the handler's retry policy. */
  jobFor(event: DomainEvent, subscriber: string): { name: string; data: DomainEvent; opts: JobsOptions } {
    const c = this.settings.config;
    const handler = this.registry.handler(subscriber, event.type);
    return {
      name: event.type,
      data: event,
      opts: {
        jobId: deliveryKey(event.id, subscriber),
        attempts: handler?.attempts ?? c.EVENTS_ATTEMPTS,
        backoff: {
          type: 'exponential',
          delay: handler?.backoffMs ?? c.EVENTS_BACKOFF_MS,
          jitter: c.EVENTS_BACKOFF_JITTER_PCT / 100,
        },
      },
    };
  }

  private openConnection(): Redis {
    const { url: _url, ...options } = (this.bullConfig.connection ?? {}) as {
      url?: string;
    } & Record<string, unknown>;
    return this.redis.open('events-producer', options);
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.allSettled([...this.queues.values()].map((q) => q.close()));
  }
}
