import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { DrainState } from '../lifecycle/index.js';

/** Down from the moment SIGTERM starts the drain, so load balancers and Kubernetes stop routing here. */
@Injectable()
export class DrainIndicator {
  constructor(
    private readonly indicators: HealthIndicatorService,
    private readonly drain: DrainState,
  ) {}

  check() {
    const session = this.indicators.check('drain');
    const since = this.drain.startedAt;
    return since === undefined
      ? session.up()
      : session.down({
          message: 'draining',
          since: new Date(since).toISOString(),
        });
  }
}
