import type { Job } from 'bullmq';
import type { DeadLetterError } from '../events.schemas.js';

/**
 * One entry per failed attempt of this job, oldest first: BullMQ keeps the earlier attempts' stacks in
 * `job.stacktrace`; the last entry is the error that ends the delivery.
 */
export function errorHistory(job: Job, err: unknown, attempt: number): DeadLetterError[] {
  const earlier = (job.stacktrace ?? []).slice(0, Math.max(attempt - 1, 0)).map((stack, i) => ({
    attempt: i + 1,
    message: stack.split('\n')[0] ?? stack,
    stack,
  }));
  const current =
    err instanceof Error ? { message: `${err.name}: ${err.message}`, stack: err.stack } : { message: String(err) };
  return [...earlier, { attempt: earlier.length + 1, ...current, at: new Date() }];
}
