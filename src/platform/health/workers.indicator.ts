import { Injectable, Optional } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { AppConfig, roleRuns } from '../../config/index.js';
import { EventWorkers } from '../events/index.js';

/**
 * In roles that process jobs, every subscriber's BullMQ worker must be running (a worker whose Redis
 * connection dropped reports not running until it reconnects). Roles without workers report nothing.
 * In the `all` role, which also serves HTTP, stopped workers only degrade readiness: the requests they
 * would process are still accepted durably, and taking the replica out of the load balancer would not
 * restart them.
 */
@Injectable()
export class WorkersIndicator {
  constructor(
    private readonly indicators: HealthIndicatorService,
    private readonly config: AppConfig,
    @Optional() private readonly workers?: EventWorkers,
  ) {}

  get applies(): boolean {
    return roleRuns(this.config.APP_ROLE).workers;
  }

  check() {
    const session = this.indicators.check('workers');
    const all = this.workers?.list() ?? [];
    const stopped = all.filter((w) => !w.isRunning()).map((w) => w.name);
    if (stopped.length === 0) return session.up({ running: all.length });
    const details = { running: all.length - stopped.length, stopped };
    return roleRuns(this.config.APP_ROLE).http ? session.degraded(details) : session.down(details);
  }
}
