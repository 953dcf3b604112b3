import { BaseAdapter } from '@bull-board/api/dist/queueAdapters/base.js';
import type { JobCounts, JobStatus, QueueJob, QueueJobJson, QueueMetrics, Status } from '@bull-board/api/typings/app';
import type { DeadLetterRecord, DeadLetterStore } from '../events/index.js';

export const DEAD_LETTER_BOARD_NAME = 'events.dead-letters';

const READ_ONLY = 'Dead letters are read-only here: replay or purge them with /admin/dead-letters.';

function refuse(): never {
  throw new Error(READ_ONLY);
}

/** One dead letter as a failed Bull Board job: the event as data, the error history as stack trace. */
function toJob(r: DeadLetterRecord): QueueJob {
  const json: QueueJobJson = {
    id: r._id,
    name: `${r.subscriber} ← ${r.type}`,
    data: r.event,
    opts: { attempts: r.attempts },
    progress: 0,
    attemptsMade: r.attempts,
    timestamp: new Date(r.firstFailedAt).getTime(),
    processedOn: new Date(r.lastFailedAt).getTime(),
    finishedOn: new Date(r.lastFailedAt).getTime(),
    failedReason: r.lastError,
    stacktrace: (r.errorHistory ?? []).map((e) => `attempt ${e.attempt}: ${e.stack ?? e.message}`),
    returnvalue: null,
  };
  return {
    opts: {},
    toJSON: () => json,
    getState: async () => 'failed',
    promote: async () => refuse(),
    remove: async () => refuse(),
    retry: async () => refuse(),
  };
}

/**
 * The dead-letter store (MongoDB, so it survives a Redis loss) shown in Bull Board as a read-only queue
 * whose jobs are all failed: one per delivery that used up its attempts and was not replayed yet.
 */
export class DeadLetterBoardAdapter extends BaseAdapter {
  constructor(private readonly store: DeadLetterStore) {
    super('bullmq', {
      readOnlyMode: true,
      allowRetries: false,
      displayName: 'dead letters',
      description: 'Deliveries that used up their attempts (MongoDB). Replay or purge them with /admin/dead-letters.',
    });
  }

  getName(): string {
    return DEAD_LETTER_BOARD_NAME;
  }

  async getJobCounts(): Promise<JobCounts> {
    const failed = await this.store.count({ status: 'dead' });
    return {
      latest: 0,
      active: 0,
      waiting: 0,
      'waiting-children': 0,
      prioritized: 0,
      completed: 0,
      failed,
      delayed: 0,
      paused: 0,
    };
  }

  async getJobs(statuses: JobStatus[], start = 0, end = 9): Promise<QueueJob[]> {
    if (!statuses.includes('failed')) return [];
    const records = await this.store.model
      .find({ status: 'dead' })
      .sort({ lastFailedAt: -1, _id: 1 })
      .skip(start)
      .limit(Math.max(0, end - start + 1))
      .lean<DeadLetterRecord[]>();
    return records.map(toJob);
  }

  async getJob(id: string): Promise<QueueJob | null> {
    const r = await this.store.get(id);
    return r ? toJob(r) : null;
  }

  getStatuses(): Status[] {
    return ['latest', 'failed'];
  }

  getJobStatuses(): JobStatus[] {
    return ['failed'];
  }

  async getJobLogs(): Promise<string[]> {
    return [];
  }

  async getMetrics(): Promise<QueueMetrics> {
    return { meta: { count: 0, prevTS: 0, prevCount: 0 }, data: [], count: 0 };
  }

  async getRedisInfo(): Promise<string | null> {
    return null;
  }

  async isPaused(): Promise<boolean> {
    return false;
  }

  async getJobSchedulers() {
    return [];
  }

  async getJobSchedulersCount(): Promise<number> {
    return 0;
  }

  async getGlobalConcurrency(): Promise<number | null> {
    return null;
  }

  clean = async (): Promise<void> => refuse();
  addJob = async (): Promise<QueueJob> => refuse();
  pause = async (): Promise<void> => refuse();
  resume = async (): Promise<void> => refuse();
  empty = async (): Promise<void> => refuse();
  obliterate = async (): Promise<void> => refuse();
  promoteAll = async (): Promise<void> => refuse();
  removeJobScheduler = async (): Promise<boolean> => refuse();
  updateJobScheduler = async (): Promise<never> => refuse();
  runJobSchedulerNow = async (): Promise<never> => refuse();
  setGlobalConcurrency = async (): Promise<void> => refuse();
}
