import { Injectable, Module, type DynamicModule } from '@nestjs/common';
import { InjectConnection } from '@nestjs/mongoose';
import type { Connection } from 'mongoose';
import { AI_JOB_CANCELLED, AI_JOB_COMPLETED, AI_JOB_FAILED } from '../../../src/features/ai-jobs/ai-jobs.events.js';
import { OnEvent, Subscriber, type DomainEvent, type HandlerContext } from '../../../src/platform/events/index.js';

/** A test subscriber standing in for another feature: records every ai.job.* outcome it receives. */
@Subscriber('test.ai-outcomes')
@Injectable()
export class AiOutcomeRecorder {
  constructor(@InjectConnection() private readonly db: Connection) {}

  @OnEvent(AI_JOB_COMPLETED)
  @OnEvent(AI_JOB_FAILED)
  @OnEvent(AI_JOB_CANCELLED)
  async record(event: DomainEvent<{ jobId: string }>, ctx: HandlerContext): Promise<void> {
    await this.db.collection('test_ai_outcomes').insertOne(
      {
        eventId: event.id,
        type: event.type,
        jobId: event.payload.jobId,
        actorId: event.actorId,
        payload: event.payload,
      },
      { session: ctx.session },
    );
  }
}

@Module({})
export class AiOutcomeRecorderModule {
  static forRole(): DynamicModule {
    return { module: AiOutcomeRecorderModule, providers: [AiOutcomeRecorder] };
  }
}
