import { Controller, Get, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { SkipThrottle } from '@nestjs/throttler';
import { PrometheusController } from '@willsoto/nestjs-prometheus';
import type { FastifyReply } from 'fastify';
import { Public } from '../http/index.js';
import { ClusterGauges } from './cluster-gauges.js';

/** `GET /metrics` on the main port: public (no user auth) and never rate limited, like the probes. */
@Controller('metrics')
@Public()
@SkipThrottle()
@ApiExcludeController()
export class MetricsController extends PrometheusController {
  constructor(private readonly cluster: ClusterGauges) {
    super();
  }

  @Get()
  override async index(@Res({ passthrough: true }) response: FastifyReply): Promise<string> {
    const own = (await super.index(response)) as string;
    return own + (await this.cluster.exposition());
  }
}

/** Given to PrometheusModule in place of its own controller, which could not reach ClusterGauges. */
@Controller()
export class NoMetricsRoute {}
