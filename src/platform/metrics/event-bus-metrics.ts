import { Injectable, Optional, type OnApplicationBootstrap, type OnModuleInit } from '@nestjs/common';
import { EventBusStats, EventQueues, EventWorkers, SubscriberRegistry } from '../events/index.js';
import { ClusterSources } from './cluster-sources.js';
import { JobMetrics } from './job-metrics.js';
import { QueueCatalog } from './queue-catalog.js';

/**
 * Connects the event bus to the metrics: its subscriber queues join the catalog, its workers report
 * job timings, its outbox and dead-letter store feed the cluster gauges. Runs on bootstrap of this
 * (non-global) module, i.e. after the global event bus has started its workers.
 */
@Injectable()
export class EventBusMetrics implements OnModuleInit, OnApplicationBootstrap {
  constructor(
    private readonly catalog: QueueCatalog,
    private readonly sources: ClusterSources,
    private readonly jobs: JobMetrics,
    @Optional() private readonly queues?: EventQueues,
    @Optional() private readonly workers?: EventWorkers,
    @Optional() private readonly stats?: EventBusStats,
    @Optional() private readonly subscribers?: SubscriberRegistry,
  ) {}

  onModuleInit(): void {
    const { queues, stats, subscribers } = this;
    if (queues) this.catalog.addSource(() => queues.all());
    if (stats) {
      this.sources.outboxLagSeconds = async () => (await stats.outboxLag()).oldestAgeMs / 1000;
      this.sources.deadLetters = () =>
        Promise.all(
          (subscribers?.all() ?? []).map(async ({ name }) => ({
            subscriber: name,
            count: await stats.deadLetterCount({ subscriber: name }),
          })),
        );
    }
  }

  onApplicationBootstrap(): void {
    this.workers?.list().forEach((w) => this.jobs.watch(w));
  }
}
