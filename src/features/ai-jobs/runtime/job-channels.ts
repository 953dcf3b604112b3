import { Injectable, Logger } from '@nestjs/common';
import { RedisConnections } from '../../../platform/redis/index.js';
import { AiJobsSettings } from '../ai-jobs.settings.js';

type Listener = (message: string) => void;

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
  private readonly channels = new Map<string, { listeners: Set<Listener>; subscribed: Promise<unknown> }>();
  private hooked = false;

  constructor(
    private readonly redis: RedisConnections,
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
    return this.listen(this.statusChannel(jobId), (m) => {
      try {
        fn(JSON.parse(m));
      } catch (err) {
        this.logger.warn(`bad status message for ${jobId}: ${(err as Error).message}`);
      }
    });
  }

  /** Calls `fn` with the id of every job whose cancellation any replica requests. */
  watchCancels(fn: (jobId: string) => void): Promise<() => void> {
    return this.listen(this.cancelChannel, fn);
  }

  private async publish(channel: string, message: string): Promise<void> {
    try {
      await this.redis.client.publish(channel, message);
    } catch (err) {
      this.logger.warn(`cannot publish on ${channel}: ${(err as Error).message}`);
    }
  }

  private async listen(channel: string, fn: Listener): Promise<() => void> {
    const sub = this.redis.subscriber;
    if (!this.hooked) {
      this.hooked = true;
      sub.on('message', (ch: string, message: string) => {
        for (const l of this.channels.get(ch)?.listeners ?? []) l(message);
      });
    }
    let entry = this.channels.get(channel);
    if (!entry) {
      entry = { listeners: new Set(), subscribed: sub.subscribe(channel) };
      this.channels.set(channel, entry);
    }
    entry.listeners.add(fn);
    const current = entry;
    const stop = () => {
      if (!current.listeners.delete(fn) || current.listeners.size > 0) return;
      if (this.channels.get(channel) === current) this.channels.delete(channel);
      sub.unsubscribe(channel).catch(() => undefined);
    };
    try {
      await current.subscribed;
    } catch (err) {
      stop();
      throw err;
    }
    return stop;
  }
}
