import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import type { ClientSession, Model, QueryFilter, UpdateQuery } from 'mongoose';
import { OwnedRepository, type OwnedDocument, type OwnedFilter, type Owner } from '../../platform/http/index.js';
import type { AiJobStatus } from './ai-job.status.js';
import { AI_JOB_MODEL, type AiJob } from './schemas/ai-job.schema.js';

export type AiJobDoc = OwnedDocument<AiJob>;

export interface PageQuery {
  status?: AiJobStatus;
  /** Only jobs older than this id (the cursor). */
  beforeId?: string;
  limit: number;
}

/**
 * The only code touching the ai_jobs collection. Every query is scoped to the owner (the caller, or the
 * job's owner named in its event); worker writes are also conditional on the run holding the job, so a
 * worker whose lease was taken over cannot overwrite the new run's state.
 */
@Injectable()
export class AiJobsRepository extends OwnedRepository<AiJob> {
  constructor(@InjectModel(AI_JOB_MODEL) private readonly jobs: Model<AiJob>) {
    super(jobs);
  }

  page(owner: Owner, q: PageQuery): Promise<AiJobDoc[]> {
    const filter: OwnedFilter<AiJob> = {};
    if (q.status) filter.status = q.status;
    if (q.beforeId) filter._id = { $lt: q.beforeId };
    return this.find(owner, filter, { sort: { _id: -1 }, limit: q.limit });
  }

  /** Applies `update` when the job matches `filter` (plus id and owner); the new document, or null. */
  private change(
    owner: Owner,
    id: string,
    filter: OwnedFilter<AiJob>,
    update: UpdateQuery<AiJob>,
    session?: ClientSession,
  ): Promise<AiJobDoc | null> {
    const $inc = { ...(update.$inc as object), version: 1 };
    return this.jobs
      .findOneAndUpdate(
        this.scope(owner, { ...filter, _id: id } as OwnedFilter<AiJob>) as QueryFilter<AiJob>,
        { ...update, $inc },
        { returnDocument: 'after', session },
      )
      .lean<AiJobDoc>()
      .exec();
  }

  /** DELETE on a queued job: it ends here, nothing ran. */
  cancelQueued(owner: Owner, id: string, session: ClientSession): Promise<AiJobDoc | null> {
    const now = new Date();
    return this.change(
      owner,
      id,
      { status: 'queued' },
      { $set: { status: 'cancelled', cancelRequested: true, finishedAt: now } },
      session,
    );
  }

  /** DELETE on a running job: flag it; the worker holding it aborts its call and ends the job. */
  flagCancel(owner: Owner, id: string): Promise<AiJobDoc | null> {
    return this.change(owner, id, { status: 'running' }, { $set: { cancelRequested: true } });
  }

  /** Takes the job for one run: it must be queued, or running under a lease that ran out (its worker died). */
  claim(owner: Owner, id: string, runId: string, leaseMs: number): Promise<AiJobDoc | null> {
    const now = new Date();
    const claimable = {
      $or: [{ status: 'queued' }, { status: 'running', leaseUntil: { $lt: now } }],
    } as OwnedFilter<AiJob>;
    return this.change(owner, id, claimable, {
      $set: { status: 'running', runId, leaseUntil: new Date(now.getTime() + leaseMs), startedAt: now, progress: 10 },
      $inc: { attempts: 1 },
    });
  }

  /** Extends the run's lease; returns whether cancellation was requested, or null when the run lost the job. */
  async renew(owner: Owner, id: string, runId: string, leaseMs: number): Promise<{ cancelRequested: boolean } | null> {
    const doc = await this.jobs
      .findOneAndUpdate(
        this.scope(owner, { _id: id, runId, status: 'running' } as OwnedFilter<AiJob>),
        { $set: { leaseUntil: new Date(Date.now() + leaseMs) } },
        { returnDocument: 'after', projection: { cancelRequested: 1 } },
      )
      .lean<{ cancelRequested: boolean }>()
      .exec();
    return doc ? { cancelRequested: doc.cancelRequested } : null;
  }

  /**
   * Ends the run: sets the final (or re-queued) state, counts the provider calls and gives the job up.
   * With `unlessCancelled`, a job whose cancellation was requested meanwhile is left alone (null).
   */
  endRun(owner: Owner, id: string, runId: string, end: RunEnd): Promise<AiJobDoc | null> {
    const filter: OwnedFilter<AiJob> = {
      runId,
      status: 'running',
      ...(end.unlessCancelled ? { cancelRequested: false } : {}),
    };
    const $unset = Object.fromEntries(['runId', 'leaseUntil', ...(end.unset ?? [])].map((k) => [k, 1]));
    return this.change(owner, id, filter, { $set: end.set, $unset, $inc: { providerCalls: end.calls } }, end.session);
  }
}

export interface RunEnd {
  set: Partial<AiJob>;
  unset?: Array<keyof AiJob>;
  calls: number;
  unlessCancelled?: boolean;
  session?: ClientSession;
}
