import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class NotificationSourceDto {
  @ApiProperty({ example: 'payments.payment.succeeded' }) type: string;
  @ApiProperty() eventId: string;
  @ApiProperty({ description: 'The payment, AI job or deposit the event is about.' }) aggregateId: string;
}

export class MessageDto {
  @ApiProperty({ example: '665f1c2e9b1e8a0012345678' }) id: string;
  @ApiProperty() conversationId: string;
  @ApiProperty({ description: 'Position in the conversation (1, 2, 3…, no gaps); SSE event ids carry it.' })
  seq: number;
  @ApiProperty({ enum: ['text', 'system'], description: '`system`: a notification keel wrote.' }) kind:
    'text' | 'system';
  @ApiPropertyOptional({ description: 'The author; absent on system messages.' }) senderId?: string;
  @ApiProperty() body: string;
  @ApiProperty() clientMessageId: string;
  @ApiPropertyOptional({ type: NotificationSourceDto }) notification?: NotificationSourceDto;
  @ApiProperty({ description: 'ISO 8601' }) sentAt: string;
}

export class MessagePageDto {
  @ApiProperty({ type: [MessageDto], description: 'Newest first.' }) items: MessageDto[];
  @ApiPropertyOptional({ description: 'Pass as `cursor` for older messages; absent on the last page.' })
  nextCursor?: string;
}

export class ReadStateDto {
  @ApiProperty() conversationId: string;
  @ApiProperty() userId: string;
  @ApiProperty({ description: "The caller's read position (seq)." }) lastReadSeq: number;
  @ApiProperty({ description: 'Messages after it written by others.' }) unreadCount: number;
}
