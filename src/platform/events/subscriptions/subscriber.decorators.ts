import type { Type } from '@nestjs/common';
import type { ClientSession } from 'mongoose';
import type { DomainEvent } from '../domain-event.js';

export const SUBSCRIBER_META = Symbol('keel:events:subscriber');
export const ON_EVENT_META = Symbol('keel:events:on-event');

export interface SubscriberOptions {
  /**
   * The event types this subscriber promises to handle. Optional; when given, startup fails unless
   * each has exactly one handler and no handler is missing from the list.
   */
  events?: string[];
}

export interface OnEventOptions {
  /** Attempts before the delivery is dead-lettered (default EVENTS_ATTEMPTS). */
  attempts?: number;
  /** First retry delay; doubles each attempt, with EVENTS_BACKOFF_JITTER_PCT jitter (default EVENTS_BACKOFF_MS). */
  backoffMs?: number;
  /** A class-validator class the payload must satisfy; a failure is permanent (no retries). */
  payload?: Type<object>;
  /**
   * true (default): the handler's writes through `ctx.session` commit in one transaction with the inbox
   * record. false: for external effects; the handler runs outside a transaction (pass `ctx.idempotencyKey`
   * to the provider) and the inbox is recorded after it returns.
   */
  transaction?: boolean;
  /**
   * true (default): an inbox record per delivery makes redelivery harmless and lets the outbox
   * re-enqueue deliveries Redis lost. false: for naturally idempotent or ephemeral effects (cache
   * invalidation, live pushes): two MongoDB round trips fewer per delivery, but a redelivery runs the
   * handler again and a delivery lost with Redis's data is not recovered.
   */
  inbox?: boolean;
}

/** What a handler gets besides the event. */
export interface HandlerContext {
  subscriber: string;
  /** In a transaction unless the handler set `transaction: false`; write effects through it. */
  session: ClientSession;
  /** Stable across redeliveries of this event to this subscriber: give it to external providers. */
  idempotencyKey: string;
  /** 1 on the first delivery. */
  attempt: number;
  /** Aborted when the process shuts down past its drain bound: stop early, the event is redelivered. */
  signal: AbortSignal;
}

export type EventHandlerFn<P = any> = (event: DomainEvent<P>, ctx: HandlerContext) => Promise<unknown> | unknown;

export interface SubscriberMeta extends SubscriberOptions {
  name: string;
}

export interface OnEventMeta extends OnEventOptions {
  type: string;
}

/** Marks a provider as the event subscriber `name` (its own BullMQ queue and inbox namespace). */
export function Subscriber(name: string, options: SubscriberOptions = {}): ClassDecorator {
  return (target) => {
    Reflect.defineMetadata(SUBSCRIBER_META, { name, ...options } satisfies SubscriberMeta, target);
  };
}

/** Handles one event type in a `@Subscriber` class; may be stacked to handle several types. */
export function OnEvent(type: string, options: OnEventOptions = {}): MethodDecorator {
  return (target, key) => {
    const list: OnEventMeta[] = Reflect.getMetadata(ON_EVENT_META, target, key) ?? [];
    Reflect.defineMetadata(ON_EVENT_META, [...list, { type, ...options }], target, key);
  };
}
