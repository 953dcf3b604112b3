import { randomUUID } from 'node:crypto';
import type { RequestContextData } from '../context/index.js';

/**
 * A fact one feature announces to the others. `type` is `<feature>.<entity>.<past-tense verb>`, e.g.
 * `payments.payment.succeeded`; `version` lets a type's payload evolve.
 */
export interface DomainEvent<P = unknown, T extends string = string> {
  id: string;
  type: T;
  version: number;
  occurredAt: Date;
  aggregateId: string;
  actorId?: string;
  correlationId: string;
  payload: P;
}

/** What a service passes to `EventPublisher.publish`; the publisher stamps the rest. */
export interface EventDraft<P = unknown, T extends string = string> {
  type: T;
  aggregateId: string;
  payload: P;
  version?: number;
  /** The request the event comes from when that is not the ambient one (a group commit of several requests). */
  context?: RequestContextData;
}

export const EVENT_TYPE_PATTERN = /^[a-z][a-z0-9-]*\.[a-z][a-zA-Z0-9-]*\.[a-z][a-zA-Z0-9-]*$/;
export const SUBSCRIBER_NAME_PATTERN = /^[a-z][a-z0-9-]*(\.[a-z0-9-]+)*$/;

export function newEventId(): string {
  return randomUUID();
}

/** The key of one delivery: the BullMQ job id, the inbox and dead-letter id, and the idempotency key. */
export function deliveryKey(eventId: string, subscriber: string): string {
  return `${eventId}@${subscriber}`;
}

export function parseDeliveryKey(key: string): { eventId: string; subscriber: string } | undefined {
  const at = key.indexOf('@');
  if (at <= 0 || at === key.length - 1) return undefined;
  return { eventId: key.slice(0, at), subscriber: key.slice(at + 1) };
}

/** Events travel as JSON through Redis: dates come back as strings. */
export function reviveEvent<P>(
  raw: DomainEvent<P> | (Omit<DomainEvent<P>, 'occurredAt'> & { occurredAt: string }),
): DomainEvent<P> {
  return { ...raw, occurredAt: new Date(raw.occurredAt) };
}
