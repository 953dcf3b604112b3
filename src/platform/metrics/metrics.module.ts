import { Module, type DynamicModule } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { PrometheusModule } from '@willsoto/nestjs-prometheus';
import { register } from 'prom-client';
import { AppConfig } from '../../config/index.js';
import { ClusterGauges } from './cluster-gauges.js';
import { ClusterSources } from './cluster-sources.js';
import { CronMetrics, cronContentionProvider, cronRunsProvider, cronTakeoversProvider } from './cron-metrics.js';
import { EventBusMetrics } from './event-bus-metrics.js';
import { ExporterLock } from './exporter-lock.js';
import { HttpMetrics, httpDurationProvider } from './http-metrics.js';
import { JobMetrics, jobRunProvider, jobWaitProvider } from './job-metrics.js';
import { MetricsController, NoMetricsRoute } from './metrics.controller.js';
import { MetricsServer } from './metrics-server.js';
import { QueueCatalogModule } from './queue-catalog.module.js';
import { SchedulerMetrics } from './scheduler-metrics.js';

/**
 * Prometheus metrics: HTTP RED by route template, job timings, cron counters, the cluster-wide gauges
 * (queues, outbox lag, dead letters, cron freshness) and Node's process metrics (event-loop lag, memory).
 */
@Module({})
export class MetricsModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: MetricsModule,
      imports: [
        DiscoveryModule,
        QueueCatalogModule,
        PrometheusModule.register({
          // Our controller is declared below, where it can reach the cluster gauges.
          controller: NoMetricsRoute,
          // prom-client's default metrics are process-wide: collect them once even if a test boots several apps.
          defaultMetrics: {
            enabled: !register.getSingleMetric('process_cpu_user_seconds_total'),
          },
        }),
      ],
      controllers: config.METRICS_PORT ? [] : [MetricsController],
      providers: [
        httpDurationProvider,
        jobWaitProvider,
        jobRunProvider,
        cronRunsProvider,
        cronTakeoversProvider,
        cronContentionProvider,
        HttpMetrics,
        JobMetrics,
        CronMetrics,
        ClusterSources,
        ExporterLock,
        ClusterGauges,
        MetricsServer,
        EventBusMetrics,
        SchedulerMetrics,
      ],
      exports: [JobMetrics, CronMetrics, ClusterSources, ExporterLock],
    };
  }
}
