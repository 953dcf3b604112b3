import { ApiExtraModels, ApiProperty, ApiPropertyOptional, getSchemaPath } from '@nestjs/swagger';
import { IsDefined, IsIn, IsObject, IsOptional } from 'class-validator';
import { AI_TASKS, type AiTask } from '../ai-jobs.events.js';
import { ChatMessageDto, ChatOptions, ClassifyOptions, ExtractOptions, SummarizeOptions } from './task-options.dto.js';

@ApiExtraModels(SummarizeOptions, ClassifyOptions, ExtractOptions, ChatOptions, ChatMessageDto)
export class CreateAiJobDto {
  @ApiProperty({ enum: AI_TASKS })
  @IsIn(AI_TASKS)
  task: AiTask;

  @ApiProperty({
    description:
      'summarize, classify, extract: the text (at most AI_MAX_INPUT_CHARS characters). chat: the messages so far, ending with a user message.',
    oneOf: [
      { type: 'string', minLength: 1 },
      { type: 'array', items: { $ref: getSchemaPath(ChatMessageDto) }, minItems: 1, maxItems: 100 },
    ],
  })
  @IsDefined()
  input: unknown;

  @ApiPropertyOptional({
    description:
      'Task options: summarize, classify (labels required), extract (fields required) or chat. Unknown options are refused.',
    oneOf: [SummarizeOptions, ClassifyOptions, ExtractOptions, ChatOptions].map((c) => ({ $ref: getSchemaPath(c) })),
  })
  @IsOptional()
  @IsObject()
  options?: Record<string, unknown>;
}
