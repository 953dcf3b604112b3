import { Injectable, type OnModuleInit } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import type { ClientSession, Model, QueryFilter, Types } from 'mongoose';
import { CONVERSATION_MODEL, type Conversation, type LastMessage } from './schemas/conversation.schema.js';

export type ConversationDoc = Conversation & { _id: Types.ObjectId };

export interface ConversationCursor {
  at: Date;
  id: string;
}

/**
 * Conversations belong to all their participants, so they are not single-owner documents: every query
 * that serves a user names that user as a participant (callers check membership first for writes).
 */
@Injectable()
export class ConversationsRepository implements OnModuleInit {
  constructor(@InjectModel(CONVERSATION_MODEL) private readonly conversations: Model<Conversation>) {}

  async onModuleInit(): Promise<void> {
    await this.conversations.createIndexes();
  }

  async create(data: Omit<Conversation, 'lastSeq'>, session: ClientSession): Promise<ConversationDoc> {
    const [doc] = await this.conversations.create([{ ...data, lastSeq: 0 }], { session });
    return doc!.toObject() as ConversationDoc;
  }

  findForParticipant(userId: string, id: string): Promise<ConversationDoc | null> {
    return this.conversations.findOne({ _id: id, participantIds: userId }).lean<ConversationDoc>().exec();
  }

  /** The participant's conversations, most recently active first, after the cursor. */
  pageForParticipant(userId: string, after: ConversationCursor | undefined, limit: number): Promise<ConversationDoc[]> {
    const filter: QueryFilter<Conversation> = { participantIds: userId };
    if (after) {
      filter.$or = [{ lastActivityAt: { $lt: after.at } }, { lastActivityAt: after.at, _id: { $lt: after.id } }];
    }
    return this.conversations
      .find(filter)
      .sort({ lastActivityAt: -1, _id: -1 })
      .limit(limit)
      .lean<ConversationDoc[]>()
      .exec();
  }

  /**
   * Takes the next `count` sequence numbers for messages of the group conversation (they end at the
   * returned `lastSeq`) and sets its last message (null if it is not a group). In the caller's
   * transaction: a concurrent append conflicts on this document and is retried, so numbers are gapless
   * and commit in order.
   */
  append(id: string, count: number, last: LastMessage, session: ClientSession): Promise<ConversationDoc | null> {
    return this.conversations
      .findOneAndUpdate(
        { _id: id, kind: 'group' },
        { $inc: { lastSeq: count }, $set: { lastActivityAt: last.sentAt, lastMessage: last } },
        { returnDocument: 'after', session },
      )
      .lean<ConversationDoc>()
      .exec();
  }

  /** Like `append`, on the user's notifications conversation, which is created on its first message. */
  appendNotification(userId: string, last: LastMessage, session: ClientSession): Promise<ConversationDoc> {
    return this.conversations
      .findOneAndUpdate(
        { notificationsOf: userId },
        {
          $setOnInsert: {
            kind: 'notifications',
            title: 'Notifications',
            participantIds: [userId],
            createdBy: 'system',
            createdAt: last.sentAt,
          },
          $inc: { lastSeq: 1 },
          $set: { lastActivityAt: last.sentAt, lastMessage: last },
        },
        { returnDocument: 'after', upsert: true, session },
      )
      .lean<ConversationDoc>()
      .orFail()
      .exec();
  }
}
