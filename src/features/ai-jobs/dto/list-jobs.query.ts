import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { PageQuery } from '../../../platform/http/index.js';
import { AI_JOB_STATUSES, type AiJobStatus } from '../ai-job.status.js';

export class ListAiJobsQuery extends PageQuery {
  @ApiPropertyOptional({ enum: AI_JOB_STATUSES })
  @IsOptional()
  @IsIn(AI_JOB_STATUSES, { message: `must be one of ${AI_JOB_STATUSES.join(', ')}` })
  status?: AiJobStatus;
}
