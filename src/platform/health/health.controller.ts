import { Controller, Get, Res, ServiceUnavailableException } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { SkipThrottle } from '@nestjs/throttler';
import { HealthCheck, HealthCheckService, type HealthCheckResult } from '@nestjs/terminus';
import type { FastifyReply } from 'fastify';
import { AppConfig, roleRuns } from '../../config/index.js';
import { Public } from '../http/index.js';
import { DependencyIndicators } from './dependency.indicators.js';
import { DrainIndicator } from './drain.indicator.js';
import { WorkersIndicator } from './workers.indicator.js';

/** Probes: public and never rate limited (a throttled probe would take a healthy replica out). */
@Controller('health')
@Public()
@SkipThrottle()
@ApiTags('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly deps: DependencyIndicators,
    private readonly drain: DrainIndicator,
    private readonly workers: WorkersIndicator,
    private readonly config: AppConfig,
  ) {}

  /** 200 while the event loop turns; checks nothing else, so a slow database never restarts pods. */
  @Get('live')
  live() {
    return { status: 'ok' };
  }

  /**
   * 200 when this replica should get traffic: not draining and MongoDB answers. Redis and the job workers
   * are required in the worker role; where HTTP is served (api, all) their failure reports `degraded`
   * with a 200, so a Redis outage does not take every API replica out of the load balancer.
   */
  @Get('ready')
  @HealthCheck()
  async ready(@Res({ passthrough: true }) reply: FastifyReply): Promise<HealthCheckResult> {
    try {
      return await this.health.check([
        () => this.drain.check(),
        () => this.deps.mongodb(),
        () => this.deps.redisPing(!roleRuns(this.config.APP_ROLE).http),
        ...(this.workers.applies ? [() => this.workers.check()] : []),
      ]);
    } catch (err) {
      // Answered here, not by the exception filters: operators want terminus's details with the 503.
      if (!(err instanceof ServiceUnavailableException)) throw err;
      reply.status(503);
      return err.getResponse() as HealthCheckResult;
    }
  }
}
