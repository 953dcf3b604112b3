import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { AI_JOB_STATUSES, type AiJobStatus } from '../ai-job.status.js';

export class ListAiJobsQuery {
  @ApiPropertyOptional({ enum: AI_JOB_STATUSES })
  @IsOptional()
  @IsIn(AI_JOB_STATUSES)
  status?: AiJobStatus;

  @ApiPropertyOptional({ minimum: 1, maximum: 100, default: 20 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number;

  @ApiPropertyOptional({ description: 'The nextCursor of the previous page (opaque).' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  cursor?: string;
}
