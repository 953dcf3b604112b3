import { Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { WorkerHost } from '@nestjs/bullmq';
import { InjectMetric, makeHistogramProvider } from '@willsoto/nestjs-prometheus';
import type { Job, Worker } from 'bullmq';
import type { Histogram } from 'prom-client';

export const JOB_WAIT = 'keel_job_wait_seconds';
export const JOB_RUN = 'keel_job_run_seconds';

const BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

export const jobWaitProvider = makeHistogramProvider({
  name: JOB_WAIT,
  help: 'Seconds a job waited in its queue before its first attempt started (delays excluded), per queue',
  labelNames: ['queue'],
  buckets: BUCKETS,
});

export const jobRunProvider = makeHistogramProvider({
  name: JOB_RUN,
  help: 'Seconds one attempt of a job ran, per queue and outcome (completed, failed)',
  labelNames: ['queue', 'outcome'],
  buckets: BUCKETS,
});

/**
 * Per-replica job timings, observed on the workers of this process: each replica reports the jobs it
 * ran, so Prometheus sums them across replicas without double counting. Workers Nest creates
 * (@Processor classes) are found on bootstrap; other modules pass theirs to `watch`.
 */
@Injectable()
export class JobMetrics implements OnApplicationBootstrap {
  private readonly watched = new WeakSet<Worker>();

  constructor(
    private readonly discovery: DiscoveryService,
    @InjectMetric(JOB_WAIT) private readonly wait: Histogram<'queue'>,
    @InjectMetric(JOB_RUN) private readonly run: Histogram<'queue' | 'outcome'>,
  ) {}

  onApplicationBootstrap(): void {
    for (const wrapper of this.discovery.getProviders()) {
      const instance: unknown = wrapper.isDependencyTreeStatic() ? wrapper.instance : undefined;
      if (instance instanceof WorkerHost) {
        try {
          this.watch(instance.worker);
        } catch {
          // a processor switched off in this role has no worker
        }
      }
    }
  }

  watch(worker: Worker): void {
    if (this.watched.has(worker)) return;
    this.watched.add(worker);
    worker.on('active', (job: Job) => this.observeWait(worker.name, job));
    worker.on('completed', (job: Job) => this.observeRun(worker.name, job, 'completed'));
    worker.on('failed', (job: Job | undefined) => job && this.observeRun(worker.name, job, 'failed'));
  }

  private observeWait(queue: string, job: Job): void {
    if (job.attemptsStarted > 1 || !job.processedOn) return; // retries wait for their backoff, not for a worker
    const ready = job.timestamp + (job.opts.delay ?? 0);
    this.wait.observe({ queue }, Math.max(0, job.processedOn - ready) / 1000);
  }

  private observeRun(queue: string, job: Job, outcome: 'completed' | 'failed'): void {
    if (!job.processedOn) return;
    // An attempt that will be retried has no finishedOn: it ended just now.
    const end = job.finishedOn ?? Date.now();
    this.run.observe({ queue, outcome }, Math.max(0, end - job.processedOn) / 1000);
  }
}
