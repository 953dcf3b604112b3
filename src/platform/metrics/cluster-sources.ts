import { Injectable } from '@nestjs/common';

export interface CronFreshness {
  name: string;
  /** When the last tick of this cron finished successfully, cluster-wide; undefined if never. */
  lastSuccessAt?: Date;
}

/**
 * Cluster-wide facts the event bus and the scheduler own, read only by the replica that exports the
 * cluster gauges (see ExporterLock). A module that owns such a fact sets its reader here; a reader
 * left unset simply exports no series.
 */
@Injectable()
export class ClusterSources {
  /** Age in seconds of the oldest outbox record not yet published (0 when none). */
  outboxLagSeconds?: () => Promise<number>;
  /** Dead letters waiting for an operator (not replayed), by subscriber. */
  deadLetters?: () => Promise<Array<{ subscriber: string; count: number }>>;
  /** The last successful run of every declared cron. */
  cronFreshness?: () => Promise<CronFreshness[]>;
}
