export { MetricsModule } from './metrics.module.js';
export { QueueCatalog } from './queue-catalog.js';
export { ClusterSources, type CronFreshness } from './cluster-sources.js';
export { JobMetrics, JOB_RUN, JOB_WAIT } from './job-metrics.js';
export { CronMetrics, CRON_CONTENTION, CRON_RUNS, CRON_TAKEOVERS } from './cron-metrics.js';
export { HTTP_DURATION, UNMATCHED_ROUTE } from './http-metrics.js';
export { CLUSTER_EXPORTER, CRON_LAST_SUCCESS, DEAD_LETTERS, OUTBOX_LAG, QUEUE_JOBS } from './cluster-gauges.js';
export { CRON_INTERVAL } from './scheduler-metrics.js';
