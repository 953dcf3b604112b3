import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayNotEmpty, IsArray, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { MAX_PARTICIPANTS } from '../messaging.settings.js';

export const USER_ID = /^\S{1,128}$/;

export class CreateConversationDto {
  @ApiProperty({
    type: [String],
    maxItems: MAX_PARTICIPANTS - 1,
    example: ['user-b', 'user-c'],
    description: 'User ids (token subjects) of the other participants; the caller is always a participant.',
  })
  @IsArray()
  @ArrayNotEmpty()
  @ArrayMaxSize(MAX_PARTICIPANTS - 1)
  @IsString({ each: true })
  @Matches(USER_ID, { each: true, message: 'each must be a user id of 1-128 characters without spaces' })
  participantIds: string[];

  @ApiPropertyOptional({ maxLength: 200, example: 'Launch plan' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  @Matches(/\S/, { message: 'must not be blank' })
  title?: string;
}
