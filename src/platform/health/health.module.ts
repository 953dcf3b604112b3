import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { DependencyIndicators } from './dependency.indicators.js';
import { DrainIndicator } from './drain.indicator.js';
import { HealthController } from './health.controller.js';
import { ReadinessLogger } from './readiness.logger.js';
import { WorkersIndicator } from './workers.indicator.js';

@Module({
  imports: [TerminusModule.forRoot({ errorLogStyle: 'json', logger: ReadinessLogger })],
  controllers: [HealthController],
  providers: [DependencyIndicators, DrainIndicator, WorkersIndicator],
})
export class HealthModule {}
