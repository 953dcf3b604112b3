import { Schema } from 'mongoose';
import type { DomainEvent } from './domain-event.js';

/**
 * An outbox record: one committed event until every subscriber has settled it (handled it, or it is
 * dead-lettered). `dueAt` is when a sweep should look at it next; a sweep claims it by moving `dueAt`
 * forward, so a crashed claimer's records come due again by themselves.
 */
export interface OutboxRecord extends Omit<DomainEvent, 'id'> {
  _id: string;
  subscribers: string[];
  dueAt: Date;
  publishedAt?: Date | null;
  claim?: string | null;
}

/** One (event, subscriber) delivery whose effects are committed. `_id` is the delivery key. */
export interface InboxRecord {
  _id: string;
  eventId: string;
  subscriber: string;
  type: string;
  handledAt: Date;
}

export interface DeadLetterError {
  attempt: number;
  message: string;
  stack?: string;
  at?: Date;
}

/** A delivery that used up its attempts (or failed permanently). `_id` is the delivery key. */
export interface DeadLetterRecord {
  _id: string;
  eventId: string;
  subscriber: string;
  type: string;
  event: DomainEvent;
  attempts: number;
  lastError: string;
  errorHistory: DeadLetterError[];
  status: 'dead' | 'replayed';
  replays: number;
  firstFailedAt: Date;
  lastFailedAt: Date;
  replayedAt?: Date;
}

export const OUTBOX_MODEL = 'KeelEventOutbox';
export const INBOX_MODEL = 'KeelEventInbox';
export const DEAD_LETTER_MODEL = 'KeelEventDeadLetter';

const opts = { versionKey: false as const };

export const OutboxSchema = new Schema<OutboxRecord>(
  {
    _id: String,
    type: { type: String, required: true },
    version: Number,
    occurredAt: Date,
    aggregateId: String,
    actorId: String,
    correlationId: String,
    payload: Schema.Types.Mixed,
    subscribers: [String],
    dueAt: { type: Date, required: true },
    publishedAt: Date,
    claim: String,
  },
  { ...opts, collection: 'events_outbox', minimize: false },
);
OutboxSchema.index({ dueAt: 1 });
OutboxSchema.index({ claim: 1 }, { sparse: true });
OutboxSchema.index({ publishedAt: 1, occurredAt: 1 });

export const InboxSchema = new Schema<InboxRecord>(
  {
    _id: String,
    eventId: String,
    subscriber: String,
    type: String,
    handledAt: Date,
  },
  { ...opts, collection: 'events_inbox' },
);
InboxSchema.index({ handledAt: 1 });

export const DeadLetterSchema = new Schema<DeadLetterRecord>(
  {
    _id: String,
    eventId: String,
    subscriber: String,
    type: String,
    event: Schema.Types.Mixed,
    attempts: Number,
    lastError: String,
    errorHistory: [{ _id: false, attempt: Number, message: String, stack: String, at: Date }],
    status: { type: String, enum: ['dead', 'replayed'] },
    replays: { type: Number, default: 0 },
    firstFailedAt: Date,
    lastFailedAt: Date,
    replayedAt: Date,
  },
  { ...opts, collection: 'events_dead_letters' },
);
DeadLetterSchema.index({ status: 1, subscriber: 1, type: 1, lastFailedAt: -1 });

export function toDomainEvent(r: OutboxRecord): DomainEvent {
  return {
    id: r._id,
    type: r.type,
    version: r.version,
    occurredAt: r.occurredAt,
    aggregateId: r.aggregateId,
    actorId: r.actorId ?? undefined,
    correlationId: r.correlationId,
    payload: r.payload,
  };
}
