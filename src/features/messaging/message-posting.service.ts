import { Injectable } from '@nestjs/common';
import { ProblemException, ProblemType, type AuthUser } from '../../platform/http/index.js';
import { ConversationWriter, isDuplicateKey } from './conversation-writer.js';
import type { MessageDto } from './dto/message.dto.js';
import type { PostMessageDto } from './dto/post-message.dto.js';
import { ConversationChannels } from './live/conversation-channels.js';
import { MessagesRepository, type MessageDoc } from './messages.repository.js';
import { toMessageDto } from './messaging.mappers.js';
import { MessagingService } from './messaging.service.js';

export interface Posted {
  message: MessageDto;
  /** true when the sender had already stored this clientMessageId: nothing new was written. */
  replayed: boolean;
}

/** What a system message announces, and the event delivery that writes it (its dedup key). */
export interface NotificationDraft {
  ownerId: string;
  body: string;
  source: { type: string; eventId: string; aggregateId: string };
  deliveryKey: string;
}

/** Memberships confirmed by this process, so a sender's next post skips the look-up. */
const CONFIRMED_MAX = 10_000;

/**
 * Posts messages: stores them (ConversationWriter), then sends them to every replica's streams over
 * pub/sub. A sender's clientMessageId is unique (a notification's: its event delivery key), so a retry or
 * a redelivery stores nothing twice and answers the message already stored.
 */
@Injectable()
export class MessagePosting {
  private readonly confirmed = new Set<string>();

  constructor(
    private readonly writer: ConversationWriter,
    private readonly messages: MessagesRepository,
    private readonly channels: ConversationChannels,
    private readonly access: MessagingService,
  ) {}

  async post(user: AuthUser, conversationId: string, dto: PostMessageDto): Promise<Posted> {
    await this.requireMember(user, conversationId);
    // No look-up first: the unique (sender, clientMessageId) index refuses a repeat, which is rare.
    const known = () => this.messages.byClientId('text', user.id, dto.clientMessageId);
    try {
      const doc = await this.writer.append(
        conversationId,
        this.draft(conversationId, 'text', dto.body, dto.clientMessageId, user.id),
      );
      return { message: await this.announce(doc), replayed: false };
    } catch (err) {
      const raced = isDuplicateKey(err) ? await known() : null;
      if (raced) return this.replay(raced, conversationId, dto);
      throw err;
    }
  }

  /** Writes a notification into the owner's notifications conversation. */
  async notify(n: NotificationDraft): Promise<MessageDto> {
    const known = () => this.messages.byClientId('system', undefined, n.deliveryKey);
    const earlier = await known();
    if (earlier) return this.announce(earlier);
    try {
      const draft = { ...this.draft('', 'system', n.body, n.deliveryKey), notification: n.source };
      return await this.announce(await this.writer.notify(n.ownerId, draft));
    } catch (err) {
      const raced = isDuplicateKey(err) ? await known() : null;
      if (raced) return this.announce(raced);
      throw err;
    }
  }

  /**
   * Memberships are never removed (there is no leaving a conversation), so one confirmed stays true:
   * remembering it saves a MongoDB round trip on every post of an active sender. Bounded; oldest out first.
   */
  private async requireMember(user: AuthUser, conversationId: string): Promise<void> {
    const key = `${user.id}\u0000${conversationId}`;
    if (this.confirmed.has(key)) return;
    await this.access.membership(user, conversationId);
    if (this.confirmed.size >= CONFIRMED_MAX) this.confirmed.delete(this.confirmed.values().next().value!);
    this.confirmed.add(key);
  }

  private draft(
    conversationId: string,
    kind: MessageDoc['kind'],
    body: string,
    clientMessageId: string,
    senderId?: string,
  ): MessageDoc {
    return {
      _id: this.messages.newId(),
      conversationId,
      seq: 0,
      kind,
      senderId,
      body,
      clientMessageId,
      sentAt: new Date(),
    };
  }

  /** After the commit. Also for a replay: the first attempt may have died before it got here. */
  private async announce(doc: MessageDoc): Promise<MessageDto> {
    const message = toMessageDto(doc);
    await this.channels.publish(doc.conversationId, { k: 'm', m: message });
    return message;
  }

  private async replay(earlier: MessageDoc, conversationId: string, dto: PostMessageDto): Promise<Posted> {
    if (earlier.conversationId !== conversationId || earlier.body !== dto.body) {
      throw new ProblemException(
        409,
        'clientMessageId already used',
        `You already sent a different message with clientMessageId ${dto.clientMessageId}.`,
        {
          type: ProblemType.conflict,
          errors: [{ field: 'clientMessageId', message: 'was already used for another message' }],
        },
      );
    }
    return { message: await this.announce(earlier), replayed: true };
  }
}
