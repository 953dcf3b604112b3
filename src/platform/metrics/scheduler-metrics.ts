import { Injectable, Optional, type OnModuleInit } from '@nestjs/common';
import { Gauge } from 'prom-client';
import { CronRegistry, CronSignals, RunLedger, type CronSignal } from '../scheduling/index.js';
import { ClusterSources } from './cluster-sources.js';
import { CronMetrics } from './cron-metrics.js';
import { ownMetric } from './own-metric.js';

export const CRON_INTERVAL = 'keel_cron_interval_seconds';

/**
 * Connects the exclusive-cron scheduler to the metrics: its signals feed this replica's run, takeover
 * and contention counters; its run ledger tells the cluster-wide freshness of every declared cron; and
 * each cron's nominal interval is exported so one alert rule covers every cron ("not run in its window").
 */
@Injectable()
export class SchedulerMetrics implements OnModuleInit {
  constructor(
    private readonly crons: CronMetrics,
    private readonly sources: ClusterSources,
    @Optional() private readonly signals?: CronSignals,
    @Optional() private readonly registry?: CronRegistry,
    @Optional() private readonly ledger?: RunLedger,
  ) {}

  onModuleInit(): void {
    const { signals, registry, ledger } = this;
    signals?.on('completed', (s: CronSignal) => this.crons.ran(s.name, 'completed'));
    signals?.on('failed', (s: CronSignal) => this.crons.ran(s.name, 'failed'));
    signals?.on('takeover', (s: CronSignal) => this.crons.tookOver(s.name));
    signals?.on('contention', (s: CronSignal) => this.crons.contended(s.name));
    if (!registry || !ledger) return;
    this.sources.cronFreshness = () =>
      Promise.all(
        [...registry.definitions.keys()].map(async (name) => {
          const last = await ledger.model
            .findOne({ name, status: 'completed' }, { finishedAt: 1 })
            .sort({ fireAt: -1 })
            .lean<{ finishedAt?: Date }>();
          return { name, lastSuccessAt: last?.finishedAt };
        }),
      );
    ownMetric(
      () =>
        new Gauge({
          name: CRON_INTERVAL,
          help: 'Nominal seconds between two ticks of each declared cron (from its expression)',
          labelNames: ['cron'],
          registers: [],
          collect() {
            this.reset();
            for (const def of registry.definitions.values()) {
              const [a, b] = def.time.sendAt(2);
              if (a && b) this.set({ cron: def.name }, b.diff(a).as('seconds'));
            }
          },
        }),
    );
  }
}
