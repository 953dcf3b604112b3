import { Injectable, type OnModuleInit } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Types, type ClientSession, type Model, type QueryFilter } from 'mongoose';
import type { MessageKind } from './messaging.events.js';
import { MESSAGE_MODEL, type Message } from './schemas/message.schema.js';

export type MessageDoc = Message & { _id: Types.ObjectId };

/**
 * Messages of conversations. Callers have checked that the user takes part in the conversation; the
 * queries here are by conversation id.
 */
@Injectable()
export class MessagesRepository implements OnModuleInit {
  constructor(@InjectModel(MESSAGE_MODEL) private readonly messages: Model<Message>) {}

  async onModuleInit(): Promise<void> {
    await this.messages.createIndexes();
  }

  newId(): Types.ObjectId {
    return new Types.ObjectId();
  }

  /** Through the driver (no document hydration on the hot path); fields left undefined are not stored. */
  async insert(docs: MessageDoc[], session: ClientSession): Promise<void> {
    const defined = docs.map((doc) => Object.fromEntries(Object.entries(doc).filter(([, v]) => v !== undefined)));
    await this.messages.collection.insertMany(defined as never[], { session });
  }

  /** The message a sender stored under this client id (system messages: under this delivery key). */
  byClientId(kind: MessageKind, senderId: string | undefined, clientMessageId: string): Promise<MessageDoc | null> {
    const filter: QueryFilter<Message> = { kind, clientMessageId, senderId: senderId ?? null };
    return this.messages.findOne(filter).lean<MessageDoc>().exec();
  }

  /** Messages after `seq`, oldest first. */
  after(conversationId: string, seq: number, limit: number): Promise<MessageDoc[]> {
    return this.messages
      .find({ conversationId, seq: { $gt: seq } })
      .sort({ seq: 1 })
      .limit(limit)
      .lean<MessageDoc[]>()
      .exec();
  }

  /** Messages before `seq` (all when undefined), newest first. */
  before(conversationId: string, seq: number | undefined, limit: number): Promise<MessageDoc[]> {
    const filter: QueryFilter<Message> = { conversationId };
    if (seq !== undefined) filter.seq = { $lt: seq };
    return this.messages.find(filter).sort({ seq: -1 }).limit(limit).lean<MessageDoc[]>().exec();
  }

  /** Messages after the reader's position that someone else wrote. */
  countUnread(conversationId: string, readerId: string, afterSeq: number): Promise<number> {
    return this.messages.countDocuments({ conversationId, seq: { $gt: afterSeq }, senderId: { $ne: readerId } }).exec();
  }
}
