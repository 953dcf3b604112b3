import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { AppConfig, roleRuns } from '../../../config/index.js';
import { JobChannels } from './job-channels.js';

export class CancelRequested extends Error {
  override readonly name = 'CancelRequested';
  constructor(jobId: string) {
    super(`cancellation of ai job ${jobId} was requested`);
  }
}

export interface RunCancel {
  signal: AbortSignal;
  /** Aborts this run as cancelled (the heartbeat does, when it reads the persisted flag). */
  cancel(): void;
  dispose(): void;
}

/**
 * The runs of this process by job id. In worker roles it listens to the cancel channel from bootstrap
 * on, so a DELETE on any replica aborts the run here at once.
 */
@Injectable()
export class RunCancellations implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('AiJobCancellations');
  private readonly runs = new Map<string, Set<AbortController>>();
  private stop?: () => void;

  constructor(
    private readonly channels: JobChannels,
    private readonly config: AppConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!roleRuns(this.config.APP_ROLE).workers) return;
    this.stop = await this.channels.watchCancels((jobId) => this.abort(jobId));
  }

  onApplicationShutdown(): void {
    this.stop?.();
  }

  register(jobId: string): RunCancel {
    const ctl = new AbortController();
    const set = this.runs.get(jobId) ?? new Set();
    set.add(ctl);
    this.runs.set(jobId, set);
    return {
      signal: ctl.signal,
      cancel: () => ctl.abort(new CancelRequested(jobId)),
      dispose: () => {
        set.delete(ctl);
        if (set.size === 0 && this.runs.get(jobId) === set) this.runs.delete(jobId);
      },
    };
  }

  private abort(jobId: string): void {
    const set = this.runs.get(jobId);
    if (!set) return;
    this.logger.log(`cancelling ai job ${jobId}`);
    for (const ctl of set) ctl.abort(new CancelRequested(jobId));
  }
}
