import { Injectable } from '@nestjs/common';
import { IsIn, IsMongoId, IsString, MinLength } from 'class-validator';
import { OnEvent, Subscriber, type DomainEvent, type HandlerContext } from '../../platform/events/index.js';
import { AI_JOB_REQUESTED, AI_TASKS, type AiJobRequestedPayload, type AiTask } from './ai-jobs.events.js';
import { JobRunner } from './runtime/job-runner.js';

class RequestedPayload implements AiJobRequestedPayload {
  @IsMongoId() jobId: string;
  @IsString() @MinLength(1) ownerId: string;
  @IsIn(AI_TASKS) task: AiTask;
}

/**
 * The worker side of ai-jobs: every AI call happens here, off the request path. The handler makes an
 * external call, so it runs outside a transaction (`transaction: false`); the job's claim and final
 * state make a redelivery harmless.
 */
@Subscriber('ai.jobs', { events: [AI_JOB_REQUESTED] })
@Injectable()
export class AiJobsHandlers {
  constructor(private readonly runner: JobRunner) {}

  @OnEvent(AI_JOB_REQUESTED, { transaction: false, payload: RequestedPayload })
  run(event: DomainEvent<AiJobRequestedPayload>, ctx: HandlerContext): Promise<void> {
    return this.runner.run(event.payload, ctx);
  }
}
