import type { ConversationDoc } from './conversations.repository.js';
import type { ConversationDto } from './dto/conversation.dto.js';
import type { MessageDto } from './dto/message.dto.js';
import type { MessageDoc } from './messages.repository.js';

export function toMessageDto(doc: MessageDoc): MessageDto {
  return {
    id: doc._id.toHexString(),
    conversationId: doc.conversationId,
    seq: doc.seq,
    kind: doc.kind,
    ...(doc.senderId ? { senderId: doc.senderId } : {}),
    body: doc.body,
    clientMessageId: doc.clientMessageId,
    ...(doc.notification ? { notification: doc.notification } : {}),
    sentAt: doc.sentAt.toISOString(),
  };
}

export function toConversationDto(doc: ConversationDoc, lastReadSeq: number, unreadCount: number): ConversationDto {
  const last = doc.lastMessage;
  return {
    id: doc._id.toHexString(),
    kind: doc.kind,
    ...(doc.title ? { title: doc.title } : {}),
    participantIds: doc.participantIds,
    createdBy: doc.createdBy,
    createdAt: doc.createdAt.toISOString(),
    lastActivityAt: doc.lastActivityAt.toISOString(),
    lastSeq: doc.lastSeq,
    ...(last
      ? {
          lastMessage: {
            messageId: last.messageId,
            seq: doc.lastSeq,
            kind: last.kind,
            ...(last.senderId ? { senderId: last.senderId } : {}),
            preview: last.preview,
            sentAt: new Date(last.sentAt).toISOString(),
          },
        }
      : {}),
    lastReadSeq,
    unreadCount,
  };
}
