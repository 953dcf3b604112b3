import { Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { AppConfig } from '../../../config/index.js';
import { PermanentError, type HandlerContext } from '../../../platform/events/index.js';
import { DrainState } from '../../../platform/lifecycle/index.js';
import { isFinal, type AiJobError } from '../ai-job.status.js';
import type { AiJobRequestedPayload } from '../ai-jobs.events.js';
import { AiJobsRepository, type AiJobDoc } from '../ai-jobs.repository.js';
import { RUN_HEARTBEAT_MS, RUN_LEASE_MS, AiJobsSettings } from '../ai-jobs.settings.js';
import { completionRequest, parseResult } from '../ai-tasks.js';
import { AiProvider, ProviderError } from '../ai-provider.js';
import { JobOutcomes } from './job-outcomes.js';
import { ProviderLimits, type Slot } from './provider-limits.js';
import { RunCancellations, type RunCancel } from './run-cancellations.js';
import { abortableSleep, linkSignals } from './signals.js';

/**
 * Runs one job for its `ai.job.requested` event, in a worker. The event may arrive more than once (at
 * least once delivery, retries): a final job is left alone, and the job runs only under a claim (status
 * running, a run id and a renewed lease), so two deliveries never call the provider for it at once.
 *
 * Order: per-user slot (Redis) → claim → provider call (each HTTP request takes a global rate-limit
 * token) → final state + event in one transaction. A transient failure re-queues the job and throws, so
 * the bus retries it with backoff; on the last attempt (EVENTS_ATTEMPTS), or for a permanent failure,
 * the job fails, ai.job.failed is published and the delivery is dead-lettered with its error history.
 */
@Injectable()
export class JobRunner {
  private readonly logger = new Logger('AiJobRunner');

  constructor(
    private readonly repo: AiJobsRepository,
    private readonly provider: AiProvider,
    private readonly limits: ProviderLimits,
    private readonly cancels: RunCancellations,
    private readonly outcomes: JobOutcomes,
    private readonly settings: AiJobsSettings,
    private readonly config: AppConfig,
    private readonly drain: DrainState,
  ) {}

  async run(p: AiJobRequestedPayload, ctx: HandlerContext): Promise<void> {
    const owner = { id: p.ownerId };
    const job = await this.repo.findById(owner, p.jobId);
    if (!job) throw new PermanentError(`ai job ${p.jobId} of ${p.ownerId} does not exist`);
    if (isFinal(job.status)) return;
    const cancel = this.cancels.register(p.jobId);
    const runId = randomUUID();
    // Waiting (for a slot, for a lease) also stops when the process starts draining: the job has not
    // started, so it is handed back to the bus rather than holding up the shutdown.
    const waiting = linkSignals(cancel.signal, ctx.signal, this.drain.streamsSignal);
    let slot: Slot;
    try {
      try {
        slot = await this.limits.acquireSlot(p.ownerId, `${p.jobId}:${runId}`, waiting.signal);
      } catch (err) {
        if (cancel.signal.aborted) return;
        throw new Error(`ai job ${p.jobId} did not start: ${(err as Error)?.message ?? String(err)}`);
      }
      try {
        const claimed = await this.claim(p, runId, waiting.signal);
        waiting.dispose();
        if (!claimed) return;
        await this.outcomes.announce(claimed);
        await this.runClaimed(claimed, runId, ctx, cancel, slot);
      } finally {
        await slot.release();
      }
    } finally {
      waiting.dispose();
      cancel.dispose();
    }
  }

  /**
   * The claimed job, or null when it ended meanwhile. When another run holds it, that run's lease is
   * waited out once (a run whose worker died, or that could not write its end, stops renewing it).
   */
  private async claim(p: AiJobRequestedPayload, runId: string, waiting: AbortSignal): Promise<AiJobDoc | null> {
    const owner = { id: p.ownerId };
    for (let waited = false; ; waited = true) {
      const claimed = await this.repo.claim(owner, p.jobId, runId, RUN_LEASE_MS);
      if (claimed) return claimed;
      const now = await this.repo.findById(owner, p.jobId);
      if (!now || isFinal(now.status)) return null;
      const leaseLeft = (now.leaseUntil?.getTime() ?? 0) - Date.now();
      if (waited || leaseLeft > RUN_LEASE_MS) throw new Error(`ai job ${p.jobId} is being run by another worker`);
      await abortableSleep(Math.max(leaseLeft, 0) + 100, waiting).catch(() => {
        throw new Error(`ai job ${p.jobId} did not start: stopped waiting for another run's lease`);
      });
    }
  }

  private async runClaimed(
    job: AiJobDoc,
    runId: string,
    ctx: HandlerContext,
    cancel: RunCancel,
    slot: Slot,
  ): Promise<void> {
    if (job.cancelRequested) return this.outcomes.cancelled(job, runId, 0);
    const id = job._id.toHexString();
    const lost = new AbortController();
    const heartbeat = setInterval(() => {
      void this.repo
        .renew({ id: job.ownerId }, id, runId, RUN_LEASE_MS)
        .then((r) =>
          r === null
            ? lost.abort(new Error('the run lost its claim on the job'))
            : r.cancelRequested && cancel.cancel(),
        )
        .catch(() => undefined);
      void slot.renew().catch(() => undefined);
    }, RUN_HEARTBEAT_MS);
    const linked = linkSignals(cancel.signal, ctx.signal, lost.signal);
    const signal = linked.signal;
    let calls = 0;
    try {
      const request = completionRequest(job.task, job.input, job.options ?? {}, this.config.AI_MAX_OUTPUT_TOKENS);
      if (this.settings.missing().length > 0) {
        throw new ProviderError(
          'not-configured',
          `the AI provider is not configured on this worker: set ${this.settings.missing().join(', ')}`,
        );
      }
      const completion = await this.provider.complete(request, {
        signal,
        idempotencyKey: `ai-job-${id}`,
        beforeRequest: async (s) => {
          await this.limits.takeToken(s);
          calls++;
        },
      });
      const result = parseResult(job.task, completion.text, job.options ?? {});
      await this.outcomes.completed(job, runId, completion, result, calls);
    } catch (err) {
      await this.afterFailure(job, runId, err, calls, ctx, cancel, lost);
    } finally {
      clearInterval(heartbeat);
      linked.dispose();
    }
  }

  private async afterFailure(
    job: AiJobDoc,
    runId: string,
    err: unknown,
    calls: number,
    ctx: HandlerContext,
    cancel: RunCancel,
    lost: AbortController,
  ): Promise<void> {
    const id = job._id.toHexString();
    if (cancel.signal.aborted) return this.outcomes.cancelled(job, runId, calls);
    if (lost.signal.aborted) throw lost.signal.reason;
    if (ctx.signal.aborted) {
      await this.outcomes.requeue(job, runId, undefined, calls);
      throw new Error(`ai job ${id} was interrupted by a shutdown`);
    }
    const error = describe(err);
    const final = !error.retryable || ctx.attempt >= this.config.EVENTS_ATTEMPTS;
    this.logger.warn(
      `ai job ${id} attempt ${ctx.attempt} failed (${error.code}: ${error.message})${final ? '; the job failed' : '; it will be retried'}`,
    );
    if (!final) {
      await this.outcomes.requeue(job, runId, error, calls);
      throw new Error(`ai job ${id}: ${error.message}`);
    }
    await this.outcomes.failed(job, runId, error, calls);
    throw error.retryable
      ? new Error(`ai job ${id} failed after ${ctx.attempt} attempts: ${error.message}`)
      : new PermanentError(`ai job ${id}: ${error.message}`);
  }
}

function describe(err: unknown): AiJobError {
  if (err instanceof ProviderError)
    return { code: err.kind, message: err.message, status: err.status, retryable: err.retryable };
  return { code: 'internal', message: err instanceof Error ? err.message : String(err), retryable: true };
}
