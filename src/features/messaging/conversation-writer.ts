import { Injectable } from '@nestjs/common';
import type { ClientSession } from 'mongoose';
import { RequestContext, type RequestContextData } from '../../platform/context/index.js';
import { TransactionRunner } from '../../platform/database/index.js';
import { EventPublisher } from '../../platform/events/index.js';
import { ProblemException } from '../../platform/http/index.js';
import { ConversationsRepository, type ConversationDoc } from './conversations.repository.js';
import { MembersRepository } from './members.repository.js';
import { MessagesRepository, type MessageDoc } from './messages.repository.js';
import { MessagingEvents, type MessageSentPayload } from './messaging.events.js';
import { PREVIEW_CHARS } from './messaging.settings.js';

/** Messages of one conversation committed in one transaction at most. */
const MAX_BATCH = 100;

interface Waiting {
  draft: MessageDoc;
  /** The request that posted it: its message's event carries that request's correlation and actor ids. */
  context?: RequestContextData;
  resolve(doc: MessageDoc): void;
  reject(err: unknown): void;
}

export const isDuplicateKey = (err: unknown) => (err as { code?: unknown })?.code === 11000;

/**
 * Commits messages: each takes the next sequence number of its conversation, and the message, the
 * conversation's new `lastSeq` and last message, and `messaging.message.sent` commit in one transaction.
 *
 * Group commit: every message takes the conversation document, so concurrent transactions on one
 * conversation would conflict and retry. Here a process runs one transaction per conversation at a time,
 * and the messages that arrive meanwhile go together in the next one. (Replicas still conflict with each
 * other, and retry.) If a batch hits a duplicate clientMessageId its messages are committed one by one,
 * so that only the duplicate fails.
 */
@Injectable()
export class ConversationWriter {
  private readonly lanes = new Map<string, Waiting[]>();

  constructor(
    private readonly conversations: ConversationsRepository,
    private readonly members: MembersRepository,
    private readonly messages: MessagesRepository,
    private readonly tx: TransactionRunner,
    private readonly publisher: EventPublisher,
  ) {}

  /** Resolves with the stored message once committed. */
  append(conversationId: string, draft: MessageDoc): Promise<MessageDoc> {
    return new Promise((resolve, reject) => {
      const waiting = { draft, context: RequestContext.current(), resolve, reject };
      const lane = this.lanes.get(conversationId);
      if (lane) {
        lane.push(waiting);
        return;
      }
      const fresh = [waiting];
      this.lanes.set(conversationId, fresh);
      void this.drain(conversationId, fresh);
    });
  }

  /** A system message into the owner's notifications conversation (created with its first message). */
  notify(ownerId: string, draft: MessageDoc): Promise<MessageDoc> {
    return this.tx.run(async (session) => {
      const conversation = await this.conversations.appendNotification(ownerId, lastMessageOf(draft), session);
      const id = conversation._id.toHexString();
      await this.members.ensure({ id: ownerId }, id, session);
      const [doc] = await this.store([{ ...draft, conversationId: id }], conversation, session);
      return doc!;
    });
  }

  private async drain(conversationId: string, lane: Waiting[]): Promise<void> {
    while (lane.length > 0) await this.commit(conversationId, lane.splice(0, MAX_BATCH));
    this.lanes.delete(conversationId);
  }

  private async commit(conversationId: string, batch: Waiting[]): Promise<void> {
    try {
      const docs = await this.tx.run(async (session) => {
        const drafts = batch.map((w) => w.draft);
        const conversation = await this.conversations.append(
          conversationId,
          drafts.length,
          lastMessageOf(drafts.at(-1)!),
          session,
        );
        if (!conversation)
          throw ProblemException.businessRule(
            'Read-only conversation',
            'Nobody can post into a notifications conversation.',
          );
        return this.store(
          drafts,
          conversation,
          session,
          batch.map((w) => w.context),
        );
      });
      batch.forEach((w, i) => w.resolve(docs[i]!));
    } catch (err) {
      if (batch.length > 1 && isDuplicateKey(err)) {
        for (const one of batch) await this.commit(conversationId, [one]);
        return;
      }
      batch.forEach((w) => w.reject(err));
    }
  }

  /** The drafts take the sequence numbers ending at the conversation's new lastSeq. */
  private async store(
    drafts: MessageDoc[],
    conversation: ConversationDoc,
    session: ClientSession,
    contexts?: ReadonlyArray<RequestContextData | undefined>,
  ): Promise<MessageDoc[]> {
    const first = conversation.lastSeq - drafts.length + 1;
    const docs = drafts.map((d, i) => ({ ...d, seq: first + i }));
    await this.messages.insert(docs, session);
    await this.publisher.publish(
      session,
      docs.map((doc, i) => {
        const payload: MessageSentPayload = {
          conversationId: doc.conversationId,
          messageId: doc._id.toHexString(),
          seq: doc.seq,
          kind: doc.kind,
          ...(doc.senderId ? { senderId: doc.senderId } : {}),
          participantIds: conversation.participantIds,
          body: doc.body,
          sentAt: doc.sentAt.toISOString(),
        };
        return { type: MessagingEvents.messageSent, aggregateId: doc.conversationId, payload, context: contexts?.[i] };
      }),
    );
    return docs;
  }
}

function lastMessageOf(m: MessageDoc) {
  return {
    messageId: m._id.toHexString(),
    kind: m.kind,
    senderId: m.senderId,
    preview: m.body.slice(0, PREVIEW_CHARS),
    sentAt: m.sentAt,
  };
}
