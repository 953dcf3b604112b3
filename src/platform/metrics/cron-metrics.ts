import { Injectable } from '@nestjs/common';
import { InjectMetric, makeCounterProvider } from '@willsoto/nestjs-prometheus';
import type { Counter } from 'prom-client';

export const CRON_RUNS = 'keel_cron_runs_total';
export const CRON_TAKEOVERS = 'keel_cron_takeovers_total';
export const CRON_CONTENTION = 'keel_cron_lock_contention_total';

export const cronRunsProvider = makeCounterProvider({
  name: CRON_RUNS,
  help: 'Cron ticks this replica ran, by cron and outcome (completed, failed)',
  labelNames: ['cron', 'outcome'],
});
export const cronTakeoversProvider = makeCounterProvider({
  name: CRON_TAKEOVERS,
  help: 'Cron ticks this replica took over after their lease expired, by cron',
  labelNames: ['cron'],
});
export const cronContentionProvider = makeCounterProvider({
  name: CRON_CONTENTION,
  help: 'Cron ticks whose lock another replica held (this replica stood aside), by cron',
  labelNames: ['cron'],
});

/** Per-replica cron counters; the scheduler's signals feed them (see events-wiring.ts). */
@Injectable()
export class CronMetrics {
  constructor(
    @InjectMetric(CRON_RUNS) private readonly runs: Counter<'cron' | 'outcome'>,
    @InjectMetric(CRON_TAKEOVERS) private readonly takeovers: Counter<'cron'>,
    @InjectMetric(CRON_CONTENTION) private readonly contention: Counter<'cron'>,
  ) {}

  ran(cron: string, outcome: 'completed' | 'failed'): void {
    this.runs.inc({ cron, outcome });
  }

  tookOver(cron: string): void {
    this.takeovers.inc({ cron });
  }

  contended(cron: string): void {
    this.contention.inc({ cron });
  }
}
