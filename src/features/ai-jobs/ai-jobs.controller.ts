import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Injectable,
  Param,
  Post,
  Query,
  Res,
  Sse,
  UseGuards,
  type CanActivate,
  type ExecutionContext,
  type MessageEvent,
} from '@nestjs/common';
import { ApiAcceptedResponse, ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Observable } from 'rxjs';
import { CurrentUser, ParseObjectIdPipe, ProblemException, type AuthUser } from '../../platform/http/index.js';
import { AiJobsRepository } from './ai-jobs.repository.js';
import { AiJobsService } from './ai-jobs.service.js';
import { AiJobsSettings } from './ai-jobs.settings.js';
import { JobStatusStream } from './ai-jobs.stream.js';
import { AcceptedAiJobDto, AiJobDto, AiJobPageDto } from './dto/ai-job.dto.js';
import { CreateAiJobDto } from './dto/create-job.dto.js';
import { ListAiJobsQuery } from './dto/list-jobs.query.js';

/** Every route answers 503 problem+json naming what to set while the provider is not configured. */
@Injectable()
export class AiConfiguredGuard implements CanActivate {
  constructor(private readonly settings: AiJobsSettings) {}

  canActivate(): boolean {
    const missing = this.settings.missing();
    if (missing.length > 0) throw ProblemException.notConfigured(...missing);
    return true;
  }
}

/**
 * For the SSE route: 400/404 must be answered before the stream starts (Nest commits the SSE headers
 * right after the handler begins, and a later error can only become an `event: error`).
 */
@Injectable()
export class JobOwnerGuard implements CanActivate {
  constructor(private readonly repo: AiJobsRepository) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<FastifyRequest<{ Params: { id: string } }>>();
    const id = new ParseObjectIdPipe().transform(req.params.id, { type: 'param', data: 'id' });
    if (!req.user || !(await this.repo.findById(req.user, id))) throw ProblemException.notFound(`No AI job ${id}.`);
    return true;
  }
}

@ApiTags('ai-jobs')
@UseGuards(AiConfiguredGuard)
@Controller()
export class AiJobsController {
  constructor(
    private readonly jobs: AiJobsService,
    private readonly streams: JobStatusStream,
  ) {}

  @Post()
  @HttpCode(202)
  @ApiOperation({
    summary: 'Submit an AI job',
    description: 'Answers once the job is stored; a worker runs it. Follow it with GET or the events stream.',
  })
  @ApiAcceptedResponse({
    type: AcceptedAiJobDto,
    headers: { Location: { description: 'The job', schema: { type: 'string' } } },
  })
  async submit(
    @CurrentUser() user: AuthUser,
    @Body() dto: CreateAiJobDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<AcceptedAiJobDto> {
    const accepted = await this.jobs.submit(user, dto);
    reply.header('Location', `/v1/ai/jobs/${accepted.id}`);
    return accepted;
  }

  @Get()
  @ApiOperation({ summary: "The caller's jobs, newest first" })
  @ApiOkResponse({ type: AiJobPageDto })
  list(@CurrentUser() user: AuthUser, @Query() query: ListAiJobsQuery): Promise<AiJobPageDto> {
    return this.jobs.list(user, query);
  }

  @Get(':id')
  @ApiOperation({ summary: 'One job: status, progress, result or error, attempts, timings, token usage' })
  @ApiOkResponse({ type: AiJobDto })
  get(@CurrentUser() user: AuthUser, @Param('id', ParseObjectIdPipe) id: string): Promise<AiJobDto> {
    return this.jobs.get(user, id);
  }

  @Delete(':id')
  @HttpCode(202)
  @ApiOperation({
    summary: 'Cancel a queued or running job',
    description:
      'A queued job is cancelled at once; a running one is cancelled once its worker has aborted the provider call. 409 if it already completed or failed.',
  })
  @ApiAcceptedResponse({ type: AiJobDto })
  cancel(@CurrentUser() user: AuthUser, @Param('id', ParseObjectIdPipe) id: string): Promise<AiJobDto> {
    return this.jobs.cancel(user, id);
  }

  @Sse(':id/events')
  @UseGuards(JobOwnerGuard)
  @ApiOperation({
    summary: "Stream the job's status changes (server-sent events)",
    description:
      'Each `status` event carries the job (as GET answers it) with `id` = its version; the first is the current state, the stream ends after the final one.',
  })
  @ApiProduces('text/event-stream')
  @ApiOkResponse({ description: 'text/event-stream of `status` events', schema: { type: 'string' } })
  events(@CurrentUser() user: AuthUser, @Param('id', ParseObjectIdPipe) id: string): Observable<MessageEvent> {
    return this.streams.open(user, id);
  }
}
