import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { AI_JOB_STATUSES, type AiJobStatus } from '../ai-job.status.js';
import { AI_TASKS, type AiTask } from '../ai-jobs.events.js';

export class AcceptedAiJobDto {
  @ApiProperty({ example: '665f1c2e9b1e8a0012345678' }) id: string;
  @ApiProperty({ enum: ['queued'] }) status: 'queued';
}

export class AiJobResultDto {
  @ApiProperty({ description: "The model's reply." }) text: string;
  @ApiPropertyOptional({ type: [String], description: 'classify: the chosen labels.' }) labels?: string[];
  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description: 'extract: each requested field (null when absent).',
  })
  data?: Record<string, unknown>;
}

export class AiJobErrorDto {
  @ApiProperty({
    example: 'rate-limited',
    description: 'timeout, connection, rate-limited, server, rejected, invalid-output, not-configured, internal',
  })
  code: string;
  @ApiProperty() message: string;
  @ApiPropertyOptional({ description: "The provider's HTTP status, when it answered." }) status?: number;
  @ApiProperty({ description: 'true on a queued job waiting for another attempt' }) retryable: boolean;
}

export class AiTokenUsageDto {
  @ApiProperty() promptTokens: number;
  @ApiProperty() completionTokens: number;
  @ApiProperty() totalTokens: number;
}

export class AiJobTimingsDto {
  @ApiProperty() createdAt: string;
  @ApiPropertyOptional({ description: 'When the latest attempt started.' }) startedAt?: string;
  @ApiPropertyOptional() finishedAt?: string;
  @ApiPropertyOptional({ description: 'From submission to the start of the latest attempt.' }) queuedMs?: number;
  @ApiPropertyOptional({ description: 'Duration of the latest attempt.' }) runMs?: number;
}

export class AiJobDto {
  @ApiProperty() id: string;
  @ApiProperty({ enum: AI_TASKS }) task: AiTask;
  @ApiProperty({ enum: AI_JOB_STATUSES }) status: AiJobStatus;
  @ApiProperty({ minimum: 0, maximum: 100, description: 'Coarse: 0 queued, 10 running, 100 final.' }) progress: number;
  @ApiProperty({ type: 'object', additionalProperties: true }) options: Record<string, unknown>;
  @ApiPropertyOptional({ type: AiJobResultDto }) result?: AiJobResultDto;
  @ApiPropertyOptional({
    type: AiJobErrorDto,
    description: 'Why the job failed, or why the last attempt did (then retryable).',
  })
  error?: AiJobErrorDto;
  @ApiProperty({ description: 'Worker attempts that started the job.' }) attempts: number;
  @ApiProperty({ description: 'HTTP requests made to the provider, retries included.' }) providerCalls: number;
  @ApiProperty() cancelRequested: boolean;
  @ApiPropertyOptional() model?: string;
  @ApiPropertyOptional({ type: AiTokenUsageDto }) usage?: AiTokenUsageDto;
  @ApiProperty({ type: AiJobTimingsDto }) timings: AiJobTimingsDto;
  @ApiProperty({ description: 'Grows with every change; SSE event ids carry it.' }) version: number;
}

export class AiJobPageDto {
  @ApiProperty({ type: [AiJobDto] }) items: AiJobDto[];
  @ApiPropertyOptional({ description: 'Pass as `cursor` for the next page; absent on the last page.' })
  nextCursor?: string;
}
