import { ApiProperty } from '@nestjs/swagger';
import { IsString, Matches, MaxLength } from 'class-validator';
import { MAX_BODY_CHARS } from '../messaging.settings.js';

export class PostMessageDto {
  @ApiProperty({ maxLength: MAX_BODY_CHARS, example: 'Ship it on Monday?' })
  @IsString()
  @MaxLength(MAX_BODY_CHARS)
  @Matches(/\S/, { message: 'must not be blank' })
  body: string;

  @ApiProperty({
    example: '0b6f7f3c-5d1e-4c55-9a0e-2f1d7c1a9b10',
    description:
      'Chosen by the client once per message (a UUID) and sent again on a retry: a sender stores one message per clientMessageId, and a repeat answers that message.',
  })
  @IsString()
  @Matches(/^[A-Za-z0-9._:-]{1,100}$/, { message: 'must be 1-100 letters, digits, or . _ : -' })
  clientMessageId: string;
}
