import { Injectable } from '@nestjs/common';
import { TransactionRunner } from '../../../platform/database/index.js';
import { EventPublisher } from '../../../platform/events/index.js';
import type { AiJobError } from '../ai-job.status.js';
import {
  AI_JOB_CANCELLED,
  AI_JOB_COMPLETED,
  AI_JOB_FAILED,
  type AiJobCancelledPayload,
  type AiJobCompletedPayload,
  type AiJobFailedPayload,
  type AiJobResult,
} from '../ai-jobs.events.js';
import { toJobDto } from '../ai-jobs.mapper.js';
import { AiJobsRepository, type AiJobDoc, type RunEnd } from '../ai-jobs.repository.js';
import type { Completion } from '../ai-provider.js';
import { JobChannels } from './job-channels.js';

/**
 * How a run ends. A final state commits together with its event (ai.job.completed / failed / cancelled)
 * and only while the run still holds the job, so each job ends once; the new view is then published to
 * status streams.
 */
@Injectable()
export class JobOutcomes {
  constructor(
    private readonly repo: AiJobsRepository,
    private readonly tx: TransactionRunner,
    private readonly publisher: EventPublisher,
    private readonly channels: JobChannels,
  ) {}

  async announce(doc: AiJobDoc | null): Promise<void> {
    if (doc) await this.channels.publishStatus(doc._id.toHexString(), toJobDto(doc));
  }

  /** Completed, unless cancellation was requested during the call: then cancelled (the usage is kept). */
  async completed(
    job: AiJobDoc,
    runId: string,
    completion: Completion,
    result: AiJobResult,
    calls: number,
  ): Promise<void> {
    const set = {
      status: 'completed' as const,
      result,
      usage: completion.usage,
      model: completion.model,
      progress: 100,
      finishedAt: new Date(),
    };
    const doc = await this.end(job, runId, { set, unset: ['error'], calls, unlessCancelled: true }, (d) => ({
      type: AI_JOB_COMPLETED,
      payload: {
        ...base(d),
        model: completion.model,
        result,
        usage: completion.usage,
        attempts: d.attempts,
        durationMs: d.finishedAt!.getTime() - d.createdAt.getTime(),
      } satisfies AiJobCompletedPayload,
    }));
    if (!doc) await this.cancelled(job, runId, calls, { usage: completion.usage, model: completion.model });
  }

  async cancelled(
    job: AiJobDoc,
    runId: string,
    calls: number,
    extra: Pick<RunEnd['set'], 'usage' | 'model'> = {},
  ): Promise<void> {
    const set = { ...extra, status: 'cancelled' as const, progress: 100, finishedAt: new Date() };
    await this.end(job, runId, { set, calls }, (d) => ({
      type: AI_JOB_CANCELLED,
      payload: { ...base(d), attempts: d.attempts } satisfies AiJobCancelledPayload,
    }));
  }

  async failed(job: AiJobDoc, runId: string, error: AiJobError, calls: number): Promise<void> {
    const set = { status: 'failed' as const, error, progress: 100, finishedAt: new Date() };
    await this.end(job, runId, { set, calls }, (d) => ({
      type: AI_JOB_FAILED,
      payload: {
        ...base(d),
        error: { code: error.code, message: error.message, status: error.status },
        attempts: d.attempts,
      } satisfies AiJobFailedPayload,
    }));
  }

  /** Gives the job back to the queue, for the next attempt (or another worker after a shutdown). */
  async requeue(job: AiJobDoc, runId: string, error: AiJobError | undefined, calls: number): Promise<void> {
    const set = { status: 'queued' as const, progress: 0, ...(error ? { error } : {}) };
    await this.announce(await this.repo.endRun(owner(job), job._id.toHexString(), runId, { set, calls }));
  }

  private async end(
    job: AiJobDoc,
    runId: string,
    end: RunEnd,
    event: (doc: AiJobDoc) => { type: string; payload: unknown },
  ): Promise<AiJobDoc | null> {
    const id = job._id.toHexString();
    const doc = await this.tx.run(async (session) => {
      const d = await this.repo.endRun(owner(job), id, runId, { ...end, session });
      if (d) await this.publisher.publish(session, { aggregateId: id, ...event(d) });
      return d;
    });
    await this.announce(doc);
    return doc;
  }
}

const owner = (job: AiJobDoc) => ({ id: job.ownerId });
const base = (d: AiJobDoc) => ({ jobId: d._id.toHexString(), ownerId: d.ownerId, task: d.task });
