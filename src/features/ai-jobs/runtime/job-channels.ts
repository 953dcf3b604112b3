import { Injectable, Logger } from '@nestjs/common';
import { RedisPubSub } from '../../../platform/redis/index.js';
import { AiJobsSettings } from '../ai-jobs.settings.js';

/**
 * Redis pub/sub between replicas, for two things:
 * - status: after each committed change of a job its new view is published on the job's channel, so an
 *   SSE stream on any API replica sees work done by a worker anywhere;
 * - cancel: DELETE publishes the job id, and the worker holding the job aborts its provider call.
 * Messages can be lost (a reconnect, a crash between commit and publish): status streams also re-read
 * the job now and then, and runs re-read the persisted cancel flag on every heartbeat.
 */
@Injectable()
export class JobChannels {
  private readonly logger = new Logger('AiJobChannels');

  constructor(
    private readonly pubsub: RedisPubSub,
    private readonly settings: AiJobsSettings,
  ) {}

  private statusChannel(jobId: string): string {
    return `${this.settings.redisPrefix}:status:${jobId}`;
  }

  private get cancelChannel(): string {
    return `${this.settings.redisPrefix}:cancel`;
  }

  /** Best effort: a lost message is caught up by the readers' periodic re-reads. */
  async publishStatus(jobId: string, view: unknown): Promise<void> {
    await this.publish(this.statusChannel(jobId), JSON.stringify(view));
  }

  async publishCancel(jobId: string): Promise<void> {
    await this.publish(this.cancelChannel, jobId);
  }

  /** Calls `fn` with each status message of the job; resolves (with the stop function) once subscribed. */
  watchStatus(jobId: string, fn: (view: unknown) => void): Promise<() => void> {
    return this.pubsub.listen(this.statusChannel(jobId), (m) => {
      try {
        fn(JSON.parse(m));
      } catch (err) {
        this.logger.warn(`bad status message for ${jobId}: ${(err as Error).message}`);
      }
    });
  }

  /** Calls `fn` with the id of every job whose cancellation any replica requests. */
  watchCancels(fn: (jobId: string) => void): Promise<() => void> {
    return this.pubsub.listen(this.cancelChannel, fn);
  }

  private async publish(channel: string, message: string): Promise<void> {
    try {
      await this.pubsub.publish(channel, message);
    } catch (err) {
      this.logger.warn(`cannot publish on ${channel}: ${(err as Error).message}`);
    }
  }
}
