import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { SchemaTypes } from 'mongoose';
import { CONVERSATION_KINDS, type ConversationKind } from '../conversation-kind.js';
import type { MessageKind } from '../messaging.events.js';

export const CONVERSATION_MODEL = 'MessagingConversation';

/** The newest message (its sequence number is the conversation's `lastSeq`). */
export interface LastMessage {
  messageId: string;
  kind: MessageKind;
  senderId?: string;
  preview: string;
  sentAt: Date;
}

/**
 * A conversation. `lastSeq` is the sequence number of its newest message: each message takes the next
 * one in the transaction that stores it, so sequence numbers have no gaps and commit in order.
 * A user's notifications conversation has `notificationsOf` set (one per user, unique).
 */
@Schema({ collection: 'messaging_conversations', versionKey: false })
export class Conversation {
  @Prop({ type: String, required: true, enum: CONVERSATION_KINDS }) kind: ConversationKind;
  @Prop({ type: String }) title?: string;
  @Prop({ type: [String], required: true }) participantIds: string[];
  @Prop({ type: String, required: true }) createdBy: string;
  @Prop({ type: String }) notificationsOf?: string;
  @Prop({ type: Number, required: true, default: 0 }) lastSeq: number;
  @Prop({ type: SchemaTypes.Mixed }) lastMessage?: LastMessage;
  @Prop({ type: Date, required: true }) createdAt: Date;
  @Prop({ type: Date, required: true }) lastActivityAt: Date;
}

export const ConversationSchema = SchemaFactory.createForClass(Conversation);
// A participant's conversations, most recently active first.
ConversationSchema.index({ participantIds: 1, lastActivityAt: -1, _id: -1 });
ConversationSchema.index(
  { notificationsOf: 1 },
  { unique: true, partialFilterExpression: { notificationsOf: { $exists: true } } },
);
