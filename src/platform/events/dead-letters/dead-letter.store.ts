import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import type { ClientSession, Model } from 'mongoose';
import { deliveryKey, type DomainEvent } from '../domain-event.js';
import { DEAD_LETTER_MODEL, type DeadLetterError, type DeadLetterRecord } from '../events.schemas.js';

export interface DeadLetterFilter {
  subscriber?: string;
  type?: string;
  status?: 'dead' | 'replayed';
}

/** The dead letters live in Mongo: they survive a Redis loss and are easy to filter and page. */
@Injectable()
export class DeadLetterStore {
  constructor(@InjectModel(DEAD_LETTER_MODEL) readonly model: Model<DeadLetterRecord>) {}

  /** Records (or re-records after a replay) a delivery that used up its attempts; keyed by delivery. */
  async record(event: DomainEvent, subscriber: string, attempts: number, errors: DeadLetterError[]): Promise<void> {
    const now = new Date();
    const last = errors[errors.length - 1];
    await this.model.updateOne(
      { _id: deliveryKey(event.id, subscriber) },
      {
        $set: {
          eventId: event.id,
          subscriber,
          type: event.type,
          event,
          attempts,
          lastError: last?.message ?? 'unknown error',
          status: 'dead',
          lastFailedAt: now,
        },
        $setOnInsert: { firstFailedAt: now, replays: 0 },
        $push: { errorHistory: { $each: errors } },
      },
      { upsert: true },
    );
  }

  async list(
    filter: DeadLetterFilter,
    page: number,
    pageSize: number,
  ): Promise<{ items: DeadLetterRecord[]; total: number }> {
    const query = this.query(filter);
    const [items, total] = await Promise.all([
      this.model
        .find(query, { event: 0, errorHistory: 0 })
        .sort({ lastFailedAt: -1, _id: 1 })
        .skip((page - 1) * pageSize)
        .limit(pageSize)
        .lean<DeadLetterRecord[]>(),
      this.model.countDocuments(query),
    ]);
    return { items, total };
  }

  get(id: string): Promise<DeadLetterRecord | null> {
    return this.model.findById(id).lean<DeadLetterRecord>();
  }

  ids(filter: DeadLetterFilter, limit: number): Promise<Array<{ _id: string }>> {
    return this.model.find(this.query(filter), { _id: 1 }).sort({ lastFailedAt: 1 }).limit(limit).lean();
  }

  async markReplayed(id: string, session: ClientSession): Promise<void> {
    await this.model.updateOne(
      { _id: id },
      {
        $set: { status: 'replayed', replayedAt: new Date() },
        $inc: { replays: 1 },
      },
      { session },
    );
  }

  async purge(filter: DeadLetterFilter & { id?: string }): Promise<number> {
    const query = filter.id ? { _id: filter.id } : this.query(filter);
    return (await this.model.deleteMany(query)).deletedCount ?? 0;
  }

  count(filter: DeadLetterFilter = { status: 'dead' }): Promise<number> {
    return this.model.countDocuments(this.query(filter));
  }

  private query(f: DeadLetterFilter): Record<string, string> {
    const q: Record<string, string> = {};
    if (f.subscriber) q.subscriber = f.subscriber;
    if (f.type) q.type = f.type;
    if (f.status) q.status = f.status;
    return q;
  }
}
