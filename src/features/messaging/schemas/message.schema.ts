import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { SchemaTypes } from 'mongoose';
import type { MessageKind } from '../messaging.events.js';

export const MESSAGE_MODEL = 'MessagingMessage';

/** What a system message announces: the domain event it was written for. */
export interface NotificationSource {
  type: string;
  eventId: string;
  aggregateId: string;
}

/**
 * One message. `seq` orders it in its conversation (SSE event ids carry it). `clientMessageId` is unique per
 * sender, so a retried post stores nothing twice; system messages use their event delivery key there.
 */
@Schema({ collection: 'messaging_messages', versionKey: false })
export class Message {
  @Prop({ type: String, required: true }) conversationId: string;
  @Prop({ type: Number, required: true }) seq: number;
  @Prop({ type: String, required: true, enum: ['text', 'system'] }) kind: MessageKind;
  @Prop({ type: String }) senderId?: string;
  @Prop({ type: String, required: true }) body: string;
  @Prop({ type: String, required: true }) clientMessageId: string;
  @Prop({ type: SchemaTypes.Mixed }) notification?: NotificationSource;
  @Prop({ type: Date, required: true }) sentAt: Date;
}

export const MessageSchema = SchemaFactory.createForClass(Message);
MessageSchema.index({ conversationId: 1, seq: 1 }, { unique: true });
MessageSchema.index({ kind: 1, senderId: 1, clientMessageId: 1 }, { unique: true });
