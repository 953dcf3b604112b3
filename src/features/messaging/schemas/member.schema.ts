import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import type { OwnedFields } from '../../../platform/http/index.js';

export const MEMBER_MODEL = 'MessagingMember';

/**
 * One participant of one conversation, owned by that participant: having one is what gives a user access
 * to the conversation. `lastReadSeq` is how far they have read.
 */
@Schema({ collection: 'messaging_members', versionKey: false })
export class Member implements OwnedFields {
  @Prop({ type: String, required: true }) ownerId: string;
  @Prop({ type: String, required: true }) conversationId: string;
  @Prop({ type: Number, required: true, default: 0 }) lastReadSeq: number;
  @Prop({ type: Date, required: true }) joinedAt: Date;
}

export const MemberSchema = SchemaFactory.createForClass(Member);
MemberSchema.index({ ownerId: 1, conversationId: 1 }, { unique: true });
MemberSchema.index({ conversationId: 1 });
