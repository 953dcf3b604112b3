import type { AiJobsRepository } from './ai-jobs.repository.js';
import type { AiJobDto } from './dto/ai-job.dto.js';

type Doc = NonNullable<Awaited<ReturnType<AiJobsRepository['findById']>>>;

/** The client's view of a job: what GET answers and what status streams carry. */
export function toJobDto(doc: Doc): AiJobDto {
  const iso = (d?: Date) => (d ? new Date(d).toISOString() : undefined);
  const ms = (from?: Date, to?: Date) => (from && to ? new Date(to).getTime() - new Date(from).getTime() : undefined);
  const finishedAt = doc.finishedAt;
  return {
    id: doc._id.toHexString(),
    task: doc.task,
    status: doc.status,
    progress: doc.progress,
    options: doc.options ?? {},
    result: doc.result,
    error: doc.error,
    attempts: doc.attempts,
    providerCalls: doc.providerCalls,
    cancelRequested: doc.cancelRequested,
    model: doc.model,
    usage: doc.usage,
    timings: {
      createdAt: iso(doc.createdAt)!,
      startedAt: iso(doc.startedAt),
      finishedAt: iso(finishedAt),
      queuedMs: ms(doc.createdAt, doc.startedAt),
      runMs: ms(doc.startedAt, finishedAt),
    },
    version: doc.version,
  };
}
