import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { CONVERSATION_KINDS, type ConversationKind } from '../conversation-kind.js';

export class LastMessageDto {
  @ApiProperty() messageId: string;
  @ApiProperty() seq: number;
  @ApiProperty({ enum: ['text', 'system'] }) kind: 'text' | 'system';
  @ApiPropertyOptional() senderId?: string;
  @ApiProperty({ description: 'The first 140 characters of the body.' }) preview: string;
  @ApiProperty() sentAt: string;
}

export class ConversationDto {
  @ApiProperty({ example: '665f1c2e9b1e8a0012345678' }) id: string;
  @ApiProperty({
    enum: CONVERSATION_KINDS,
    description: '`notifications`: the read-only conversation keel writes notifications into.',
  })
  kind: ConversationKind;
  @ApiPropertyOptional() title?: string;
  @ApiProperty({ type: [String] }) participantIds: string[];
  @ApiProperty() createdBy: string;
  @ApiProperty() createdAt: string;
  @ApiProperty() lastActivityAt: string;
  @ApiProperty({ description: 'seq of the newest message (0 when empty).' }) lastSeq: number;
  @ApiPropertyOptional({ type: LastMessageDto }) lastMessage?: LastMessageDto;
  @ApiProperty({ description: "The caller's read position." }) lastReadSeq: number;
  @ApiProperty({ description: 'Messages after the read position written by others.' }) unreadCount: number;
}

export class ConversationPageDto {
  @ApiProperty({ type: [ConversationDto], description: 'Most recently active first.' }) items: ConversationDto[];
  @ApiPropertyOptional({ description: 'Pass as `cursor` for the next page; absent on the last page.' })
  nextCursor?: string;
}
