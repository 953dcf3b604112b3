import { Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { Gauge, Registry } from 'prom-client';
import { ClusterSources } from './cluster-sources.js';
import { ExporterLock } from './exporter-lock.js';
import { ownMetric } from './own-metric.js';
import { QueueCatalog } from './queue-catalog.js';

export const QUEUE_JOBS = 'keel_queue_jobs';
export const OUTBOX_LAG = 'keel_outbox_lag_seconds';
export const DEAD_LETTERS = 'keel_dead_letters';
export const CRON_LAST_SUCCESS = 'keel_cron_last_success_timestamp_seconds';
export const CLUSTER_EXPORTER = 'keel_metrics_cluster_exporter';

const QUEUE_STATES = ['waiting', 'active', 'delayed', 'failed'] as const;
const READ_TIMEOUT_MS = 2000;

function timeout<T>(p: Promise<T>, ms = READ_TIMEOUT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer in ${ms} ms`)), ms))),
  ]).finally(() => clearTimeout(timer));
}

/**
 * Gauges whose value is the same for the whole cluster, read at scrape time. They live in their own
 * registry, appended to /metrics only by the replica holding the ExporterLock: the other replicas do
 * not export these families at all, so `sum()` and alerts see each value once whatever the replica count.
 */
@Injectable()
export class ClusterGauges implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('Metrics');
  private readonly registry = new Registry();
  private releaseExporter?: () => void;

  constructor(
    private readonly lock: ExporterLock,
    private readonly catalog: QueueCatalog,
    private readonly sources: ClusterSources,
  ) {}

  /** The cluster-wide families in Prometheus text format, or '' on replicas that do not export them. */
  async exposition(): Promise<string> {
    return this.lock.held ? this.registry.metrics() : '';
  }

  onModuleInit(): void {
    const gauge = <L extends string>(
      name: string,
      help: string,
      labelNames: L[],
      read: (g: Gauge<L>) => Promise<void>,
    ) => {
      const logger = this.logger;
      new Gauge<L>({
        name,
        help,
        labelNames,
        registers: [this.registry],
        async collect() {
          this.reset();
          await timeout(read(this)).catch((err: Error) => logger.warn(`${name}: ${err.message}`));
        },
      });
    };

    gauge(
      QUEUE_JOBS,
      'Jobs per queue and state (waiting, active, delayed, failed), cluster-wide',
      ['queue', 'state'],
      async (g) => {
        await Promise.all(
          this.catalog.all().map(async (q) => {
            const counts = await q.getJobCounts(...QUEUE_STATES);
            for (const state of QUEUE_STATES) g.set({ queue: q.name, state }, counts[state] ?? 0);
          }),
        );
      },
    );
    gauge(
      OUTBOX_LAG,
      'Age in seconds of the oldest unpublished outbox record (0 when the outbox is empty)',
      ['outbox'],
      async (g) => {
        if (this.sources.outboxLagSeconds) g.set({ outbox: 'events' }, await this.sources.outboxLagSeconds());
      },
    );
    gauge(DEAD_LETTERS, 'Dead letters waiting for an operator, by subscriber', ['subscriber'], async (g) => {
      for (const { subscriber, count } of (await this.sources.deadLetters?.()) ?? []) g.set({ subscriber }, count);
    });
    gauge(
      CRON_LAST_SUCCESS,
      'When each cron last completed a tick, cluster-wide (unix seconds)',
      ['cron'],
      // A cron that never completed has no series (0 would read as "56 years late").
      async (g) => {
        for (const c of (await this.sources.cronFreshness?.()) ?? []) {
          if (c.lastSuccessAt) g.set({ cron: c.name }, c.lastSuccessAt.getTime() / 1000);
        }
      },
    );

    // Exported by every replica (1 on the exporter, 0 elsewhere), so "nobody exports" can be alerted on.
    const lock = this.lock;
    this.releaseExporter = ownMetric(
      () =>
        new Gauge({
          name: CLUSTER_EXPORTER,
          help: '1 on the replica that exports the cluster-wide gauges, 0 on the others',
          registers: [],
          collect() {
            this.set(lock.held ? 1 : 0);
          },
        }),
    ).release;
  }

  onApplicationShutdown(): void {
    this.releaseExporter?.();
  }
}
