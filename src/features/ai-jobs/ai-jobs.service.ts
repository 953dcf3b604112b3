import { Injectable } from '@nestjs/common';
import { isValidObjectId } from 'mongoose';
import { TransactionRunner } from '../../platform/database/index.js';
import { EventPublisher } from '../../platform/events/index.js';
import { ProblemException, ProblemType, type AuthUser } from '../../platform/http/index.js';
import {
  AI_JOB_CANCELLED,
  AI_JOB_REQUESTED,
  type AiJobCancelledPayload,
  type AiJobRequestedPayload,
} from './ai-jobs.events.js';
import { toJobDto } from './ai-jobs.mapper.js';
import { AiJobsRepository } from './ai-jobs.repository.js';
import { AiJobsSettings } from './ai-jobs.settings.js';
import type { AcceptedAiJobDto, AiJobDto, AiJobPageDto } from './dto/ai-job.dto.js';
import type { CreateAiJobDto } from './dto/create-job.dto.js';
import type { ListAiJobsQuery } from './dto/list-jobs.query.js';
import { validateTask } from './dto/task-validation.js';
import { JobChannels } from './runtime/job-channels.js';

/** The API side of ai-jobs: accept, read, list and cancel jobs. No AI call happens here. */
@Injectable()
export class AiJobsService {
  constructor(
    private readonly repo: AiJobsRepository,
    private readonly tx: TransactionRunner,
    private readonly publisher: EventPublisher,
    private readonly channels: JobChannels,
    private readonly settings: AiJobsSettings,
  ) {}

  /** Accepted means durable: the job and its ai.job.requested event commit together before the 202. */
  async submit(user: AuthUser, dto: CreateAiJobDto): Promise<AcceptedAiJobDto> {
    const c = this.settings.config;
    const { input, options } = validateTask(dto.task, dto.input, dto.options, {
      maxInputChars: c.AI_MAX_INPUT_CHARS,
      maxOutputTokens: c.AI_MAX_OUTPUT_TOKENS,
    });
    const id = await this.tx.run(async (session) => {
      const job = await this.repo.create(
        user,
        {
          task: dto.task,
          input,
          options,
          status: 'queued',
          progress: 0,
          attempts: 0,
          providerCalls: 0,
          cancelRequested: false,
          version: 0,
          createdAt: new Date(),
        },
        { session },
      );
      const jobId = job._id.toHexString();
      await this.publisher.publish<AiJobRequestedPayload, string>(session, {
        type: AI_JOB_REQUESTED,
        aggregateId: jobId,
        payload: { jobId, ownerId: user.id, task: dto.task },
      });
      return jobId;
    });
    return { id, status: 'queued' };
  }

  async get(user: AuthUser, id: string): Promise<AiJobDto> {
    const job = await this.repo.findById(user, id);
    if (!job) throw ProblemException.notFound(`No AI job ${id}.`);
    return toJobDto(job);
  }

  async list(user: AuthUser, q: ListAiJobsQuery): Promise<AiJobPageDto> {
    const limit = q.limit ?? 20;
    const beforeId = q.cursor === undefined ? undefined : decodeCursor(q.cursor);
    const docs = await this.repo.page(user, { status: q.status, beforeId, limit: limit + 1 });
    const items = docs.slice(0, limit).map(toJobDto);
    return { items, nextCursor: docs.length > limit ? encodeCursor(items.at(-1)!.id) : undefined };
  }

  /**
   * A queued job is cancelled at once (with ai.job.cancelled); a running one is flagged, and the worker
   * holding it aborts its provider call on the cancel message (or its next look at the flag).
   */
  async cancel(user: AuthUser, id: string): Promise<AiJobDto> {
    const queued = await this.tx.run(async (session) => {
      const doc = await this.repo.cancelQueued(user, id, session);
      if (doc) {
        const payload: AiJobCancelledPayload = { jobId: id, ownerId: user.id, task: doc.task, attempts: doc.attempts };
        await this.publisher.publish(session, { type: AI_JOB_CANCELLED, aggregateId: id, payload });
      }
      return doc;
    });
    const doc = queued ?? (await this.repo.flagCancel(user, id));
    if (doc) {
      // A worker may be waiting for a slot to start the queued job: the message stops that wait too.
      await this.channels.publishCancel(id);
      const view = toJobDto(doc);
      await this.channels.publishStatus(id, view);
      return view;
    }
    const current = await this.repo.findById(user, id);
    if (!current) throw ProblemException.notFound(`No AI job ${id}.`);
    if (current.status === 'cancelled') return toJobDto(current);
    throw new ProblemException(
      409,
      'Job already finished',
      `AI job ${id} is ${current.status}; only queued or running jobs can be cancelled.`,
      { type: ProblemType.conflict },
    );
  }
}

function encodeCursor(id: string): string {
  return Buffer.from(JSON.stringify({ before: id })).toString('base64url');
}

function decodeCursor(cursor: string): string {
  try {
    const { before } = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { before?: unknown };
    if (typeof before === 'string' && /^[0-9a-f]{24}$/.test(before) && isValidObjectId(before)) return before;
  } catch {
    // fall through
  }
  throw ProblemException.validation([{ field: 'cursor', message: 'is not a cursor this API returned' }]);
}
