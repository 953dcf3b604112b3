import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { randomUUID } from 'node:crypto';
import type { Model } from 'mongoose';
import { deliveryKey } from '../domain-event.js';
import {
  DEAD_LETTER_MODEL,
  INBOX_MODEL,
  OUTBOX_MODEL,
  type DeadLetterRecord,
  type InboxRecord,
  type OutboxRecord,
} from '../events.schemas.js';

/** Mongo side of the relay: publication marks, atomic claims, and the settled check. */
@Injectable()
export class OutboxStore {
  constructor(
    @InjectModel(OUTBOX_MODEL) readonly outbox: Model<OutboxRecord>,
    @InjectModel(INBOX_MODEL) private readonly inbox: Model<InboxRecord>,
    @InjectModel(DEAD_LETTER_MODEL)
    private readonly deadLetters: Model<DeadLetterRecord>,
  ) {}

  /** Jobs exist for these events: look again (settled check) after `redeliverAfterMs`. */
  async markPublished(ids: string[], redeliverAfterMs: number, claim?: string): Promise<void> {
    if (ids.length === 0) return;
    const now = Date.now();
    await this.outbox.updateMany(
      { _id: { $in: ids }, ...(claim ? { claim } : {}) },
      {
        $set: {
          publishedAt: new Date(now),
          dueAt: new Date(now + redeliverAfterMs),
          claim: null,
        },
      },
    );
  }

  /**
   * Claims up to `limit` due records for this caller alone: the conditional update re-checks `dueAt` per
   * document, so two sweepers never get the same record. The claim moves `dueAt` by `leaseMs`, which
   * is also how a claim left by a crashed sweeper expires.
   */
  async claimDue(limit: number, leaseMs: number): Promise<{ claim: string; records: OutboxRecord[] }> {
    const now = new Date();
    const claim = randomUUID();
    const candidates = await this.outbox
      .find({ dueAt: { $lte: now } }, { _id: 1 })
      .sort({ dueAt: 1 })
      .limit(limit)
      .lean();
    if (candidates.length === 0) return { claim, records: [] };
    await this.outbox.updateMany(
      { _id: { $in: candidates.map((c) => c._id) }, dueAt: { $lte: now } },
      { $set: { claim, dueAt: new Date(now.getTime() + leaseMs) } },
    );
    return {
      claim,
      records: await this.outbox.find({ claim }).lean<OutboxRecord[]>(),
    };
  }

  /**
   * The subscribers of each record that still need a delivery: those without an inbox record or a dead
   * letter. A subscriber without an inbox (`inbox: false`) is done once the record was published.
   */
  async unsettled(
    records: OutboxRecord[],
    route: (subscriber: string, type: string) => 'inbox' | 'no-inbox' | 'gone',
  ): Promise<Map<string, string[]>> {
    const keys = records.flatMap((r) =>
      r.subscribers.filter((s) => route(s, r.type) === 'inbox').map((s) => deliveryKey(r._id, s)),
    );
    const [handled, dead] = await Promise.all([
      this.inbox.find({ _id: { $in: keys } }, { _id: 1 }).lean(),
      this.deadLetters.find({ _id: { $in: keys }, status: 'dead' }, { _id: 1 }).lean(),
    ]);
    const settled = new Set([...handled, ...dead].map((d) => d._id));
    const result = new Map<string, string[]>();
    for (const r of records) {
      const open = r.subscribers.filter((s) => {
        const how = route(s, r.type);
        if (how === 'gone') return false;
        if (how === 'no-inbox') return !r.publishedAt;
        return !settled.has(deliveryKey(r._id, s));
      });
      result.set(r._id, open);
    }
    return result;
  }

  async remove(ids: string[], claim: string): Promise<void> {
    if (ids.length > 0) await this.outbox.deleteMany({ _id: { $in: ids }, claim });
  }

  /** Events committed but not yet handed to BullMQ: how many, and how long the oldest has waited. */
  async lag(): Promise<{ unpublished: number; oldestAgeMs: number }> {
    const [unpublished, oldest] = await Promise.all([
      this.outbox.countDocuments({ publishedAt: null }),
      this.outbox.findOne({ publishedAt: null }, { occurredAt: 1 }).sort({ occurredAt: 1 }).lean(),
    ]);
    return {
      unpublished,
      oldestAgeMs: oldest ? Date.now() - new Date(oldest.occurredAt).getTime() : 0,
    };
  }

  async pruneInbox(olderThan: Date): Promise<number> {
    return (await this.inbox.deleteMany({ handledAt: { $lt: olderThan } })).deletedCount ?? 0;
  }
}
