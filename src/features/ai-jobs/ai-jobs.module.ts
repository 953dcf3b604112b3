import { Module, type DynamicModule } from '@nestjs/common';
import { RouterModule } from '@nestjs/core';
import { MongooseModule } from '@nestjs/mongoose';
import { routesFor, type AppRole } from '../../config/index.js';
import { AiConfiguredGuard, AiJobsController, JobOwnerGuard } from './ai-jobs.controller.js';
import { AiJobsHandlers } from './ai-jobs.handlers.js';
import { AiJobsRepository } from './ai-jobs.repository.js';
import { AiJobsService } from './ai-jobs.service.js';
import { AiJobsSettings } from './ai-jobs.settings.js';
import { JobStatusStream } from './ai-jobs.stream.js';
import { AiProvider } from './ai-provider.js';
import { OpenAiProvider } from './openai/openai.provider.js';
import { JobChannels } from './runtime/job-channels.js';
import { JobOutcomes } from './runtime/job-outcomes.js';
import { JobRunner } from './runtime/job-runner.js';
import { ProviderLimits } from './runtime/provider-limits.js';
import { RunCancellations } from './runtime/run-cancellations.js';
import { AI_JOB_MODEL, AiJobSchema } from './schemas/ai-job.schema.js';

/** AI jobs (README "AI jobs"): the API accepts and follows jobs, workers run them against the provider. */
@Module({})
export class AiJobsModule {
  static forRole(role: AppRole): DynamicModule {
    return {
      module: AiJobsModule,
      imports: [
        MongooseModule.forFeature([{ name: AI_JOB_MODEL, schema: AiJobSchema }]),
        RouterModule.register([{ path: 'v1/ai/jobs', module: AiJobsModule }]),
      ],
      controllers: routesFor(role, [AiJobsController]),
      providers: [
        AiJobsSettings,
        AiJobsRepository,
        AiJobsService,
        JobStatusStream,
        AiConfiguredGuard,
        JobOwnerGuard,
        JobChannels,
        RunCancellations,
        ProviderLimits,
        JobOutcomes,
        JobRunner,
        AiJobsHandlers,
        { provide: AiProvider, useClass: OpenAiProvider },
      ],
    };
  }
}
