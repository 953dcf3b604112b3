import { Injectable } from '@nestjs/common';
import { TransactionRunner } from '../../platform/database/index.js';
import { ProblemException, ProblemType, type AuthUser } from '../../platform/http/index.js';
import { ConversationsRepository, type ConversationDoc } from './conversations.repository.js';
import {
  decodeConversationCursor,
  decodeMessageCursor,
  encodeConversationCursor,
  encodeMessageCursor,
} from './cursors.js';
import type { ConversationDto, ConversationPageDto } from './dto/conversation.dto.js';
import type { CreateConversationDto } from './dto/create-conversation.dto.js';
import type { MessagePageDto, ReadStateDto } from './dto/message.dto.js';
import { DEFAULT_PAGE, type PageQuery } from './dto/page.query.js';
import { ConversationChannels } from './live/conversation-channels.js';
import { MembersRepository, type MemberDoc } from './members.repository.js';
import { MessagesRepository } from './messages.repository.js';
import { toConversationDto, toMessageDto } from './messaging.mappers.js';

/**
 * Conversations: creating them, listing them with their unread counts, reading their messages, moving
 * the caller's read position. A user reaches a conversation only through their own membership: anyone
 * else gets 404. (Posting is MessagePosting's.)
 */
@Injectable()
export class MessagingService {
  constructor(
    private readonly conversations: ConversationsRepository,
    private readonly members: MembersRepository,
    private readonly messages: MessagesRepository,
    private readonly channels: ConversationChannels,
    private readonly tx: TransactionRunner,
  ) {}

  async create(user: AuthUser, dto: CreateConversationDto): Promise<ConversationDto> {
    const others = [...new Set(dto.participantIds)].filter((id) => id !== user.id);
    if (others.length === 0) {
      throw ProblemException.validation([
        { field: 'participantIds', message: 'must name at least one user other than you' },
      ]);
    }
    const participantIds = [user.id, ...others];
    const now = new Date();
    const doc = await this.tx.run(async (session) => {
      const conversation = await this.conversations.create(
        {
          kind: 'group',
          title: dto.title?.trim(),
          participantIds,
          createdBy: user.id,
          createdAt: now,
          lastActivityAt: now,
        },
        session,
      );
      await this.members.addAll(conversation._id.toHexString(), participantIds, session);
      return conversation;
    });
    return toConversationDto(doc, 0, 0);
  }

  async list(user: AuthUser, q: PageQuery): Promise<ConversationPageDto> {
    const limit = q.limit ?? DEFAULT_PAGE;
    const after = q.cursor === undefined ? undefined : decodeConversationCursor(q.cursor);
    const docs = await this.conversations.pageForParticipant(user.id, after, limit + 1);
    const page = docs.slice(0, limit);
    const reads = new Map(
      (
        await this.members.ofMany(
          user,
          page.map((d) => d._id.toHexString()),
        )
      ).map((m) => [m.conversationId, m.lastReadSeq]),
    );
    const items = await Promise.all(page.map((doc) => this.view(user, doc, reads.get(doc._id.toHexString()) ?? 0)));
    const last = page.at(-1);
    return {
      items,
      nextCursor:
        docs.length > limit && last
          ? encodeConversationCursor({ at: last.lastActivityAt, id: last._id.toHexString() })
          : undefined,
    };
  }

  async get(user: AuthUser, id: string): Promise<ConversationDto> {
    const { member, conversation } = await this.access(user, id);
    return this.view(user, conversation, member.lastReadSeq);
  }

  /** Newest first; `cursor` pages towards older messages. */
  async messagesOf(user: AuthUser, id: string, q: PageQuery): Promise<MessagePageDto> {
    await this.membership(user, id);
    const limit = q.limit ?? DEFAULT_PAGE;
    const before = q.cursor === undefined ? undefined : decodeMessageCursor(q.cursor);
    const docs = await this.messages.before(id, before, limit + 1);
    const items = docs.slice(0, limit).map(toMessageDto);
    const last = items.at(-1);
    return { items, nextCursor: docs.length > limit && last ? encodeMessageCursor(last.seq) : undefined };
  }

  /** Moves the caller's read position forward (never back) and tells the conversation's streams. */
  async markRead(user: AuthUser, id: string, upTo: number): Promise<ReadStateDto> {
    const { member, conversation } = await this.access(user, id);
    if (upTo > conversation.lastSeq) {
      throw new ProblemException(
        422,
        'No such message',
        `The conversation's newest message is ${conversation.lastSeq}; upTo cannot be beyond it.`,
        {
          type: ProblemType.businessRule,
          errors: [{ field: 'upTo', message: `must be at most ${conversation.lastSeq}` }],
        },
      );
    }
    const advanced = upTo > member.lastReadSeq ? await this.members.advanceRead(user, id, upTo) : null;
    const lastReadSeq = advanced?.lastReadSeq ?? (await this.membership(user, id)).lastReadSeq;
    if (advanced)
      await this.channels.publish(id, { k: 'r', r: { userId: user.id, lastReadSeq, at: new Date().toISOString() } });
    return {
      conversationId: id,
      userId: user.id,
      lastReadSeq,
      unreadCount: await this.messages.countUnread(id, user.id, lastReadSeq),
    };
  }

  /**
   * Where a stream starts: after `Last-Event-ID` (or `after`), at most the newest message; without
   * either, after the newest message. Decided before the response starts, so a message stored once the
   * client has its 200 is always delivered.
   */
  async streamStart(
    user: AuthUser,
    id: string,
    lastEventId: string | undefined,
    after: number | undefined,
  ): Promise<number> {
    if (lastEventId !== undefined && !/^\d{1,15}$/.test(lastEventId.trim())) {
      throw ProblemException.validation([
        { field: 'Last-Event-ID', message: 'must be the id (seq) of a message event' },
      ]);
    }
    const { conversation } = await this.access(user, id);
    const requested = lastEventId !== undefined ? Number(lastEventId.trim()) : after;
    return requested === undefined ? conversation.lastSeq : Math.min(requested, conversation.lastSeq);
  }

  async membership(user: AuthUser, id: string): Promise<MemberDoc> {
    const member = await this.members.of(user, id);
    if (!member) throw ProblemException.notFound(`No conversation ${id}.`);
    return member;
  }

  private async access(user: AuthUser, id: string): Promise<{ member: MemberDoc; conversation: ConversationDoc }> {
    const member = await this.membership(user, id);
    const conversation = await this.conversations.findForParticipant(user.id, id);
    if (!conversation) throw ProblemException.notFound(`No conversation ${id}.`);
    return { member, conversation };
  }

  private async view(user: AuthUser, doc: ConversationDoc, lastReadSeq: number): Promise<ConversationDto> {
    const id = doc._id.toHexString();
    const unread = doc.lastSeq > lastReadSeq ? await this.messages.countUnread(id, user.id, lastReadSeq) : 0;
    return toConversationDto(doc, lastReadSeq, unread);
  }
}
