/**
 * The events the messaging feature publishes: its public contract. Other features import only this file.
 * Every event's aggregateId is the conversation id.
 */

export const MessagingEvents = {
  /**
   * A message was stored in a conversation: posted by a participant (`kind: 'text'`), or a notification
   * keel wrote into a user's notifications conversation (`kind: 'system'`). Published once per message,
   * in the transaction that stores it.
   */
  messageSent: 'messaging.message.sent',
} as const;

export type MessageKind = 'text' | 'system';

export interface MessageSentPayload {
  conversationId: string;
  messageId: string;
  /** Position in the conversation: 1, 2, 3… without gaps. */
  seq: number;
  kind: MessageKind;
  /** The author; absent on system messages. */
  senderId?: string;
  /** Everyone in the conversation, the sender included. */
  participantIds: string[];
  body: string;
  /** ISO 8601. */
  sentAt: string;
}
