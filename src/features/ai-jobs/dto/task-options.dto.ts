import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsNumber,
  IsOptional,
  IsString,
  Length,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';

// Per-task shapes of `options` (and of `input` for chat). Caps that come from configuration
// (AI_MAX_INPUT_CHARS, AI_MAX_OUTPUT_TOKENS) are checked in task-validation.ts.

class OutputOptions {
  @ApiPropertyOptional({
    description: 'Upper bound of the reply, in tokens (at most AI_MAX_OUTPUT_TOKENS).',
    minimum: 1,
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  maxTokens?: number;
}

export class SummarizeOptions extends OutputOptions {
  @ApiPropertyOptional({ minimum: 10, maximum: 2000, description: 'Aim for at most this many words.' })
  @IsOptional()
  @IsInt()
  @Min(10)
  @Max(2000)
  maxWords?: number;

  @ApiPropertyOptional({ enum: ['paragraph', 'bullets'], default: 'paragraph' })
  @IsOptional()
  @IsIn(['paragraph', 'bullets'])
  format?: 'paragraph' | 'bullets';
}

export class ClassifyOptions extends OutputOptions {
  @ApiProperty({
    type: [String],
    minItems: 2,
    maxItems: 50,
    description: 'The labels to choose from (unique, 1-100 characters each).',
  })
  @IsArray()
  @ArrayMinSize(2)
  @ArrayMaxSize(50)
  @ArrayUnique()
  @IsString({ each: true })
  @Length(1, 100, { each: true })
  labels: string[];

  @ApiPropertyOptional({ default: false, description: 'Allow more than one label.' })
  @IsOptional()
  @IsBoolean()
  multiLabel?: boolean;
}

export class ExtractOptions extends OutputOptions {
  @ApiProperty({
    type: [String],
    minItems: 1,
    maxItems: 50,
    description: 'Names of the fields to extract (identifiers, unique).',
  })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(50)
  @ArrayUnique()
  @Matches(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, {
    each: true,
    message: 'each field must be an identifier of letters, digits and _ (at most 64)',
  })
  fields: string[];
}

export class ChatOptions extends OutputOptions {
  @ApiPropertyOptional({ minimum: 0, maximum: 2 })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(2)
  temperature?: number;

  @ApiPropertyOptional({ maxLength: 4000, description: 'A system prompt placed before the messages.' })
  @IsOptional()
  @IsString()
  @MaxLength(4000)
  system?: string;
}

export class ChatMessageDto {
  @ApiProperty({ enum: ['system', 'user', 'assistant'] })
  @IsIn(['system', 'user', 'assistant'])
  role: 'system' | 'user' | 'assistant';

  @ApiProperty({ minLength: 1 })
  @IsString()
  @Length(1, 1_000_000)
  content: string;
}

/** `input` of a chat job: the conversation so far, ending with the user's turn. */
export class ChatInput {
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(100)
  @ValidateNested({ each: true })
  @Type(() => ChatMessageDto)
  messages: ChatMessageDto[];
}
