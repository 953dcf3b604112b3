import { Module, type DynamicModule } from '@nestjs/common';
import { RouterModule } from '@nestjs/core';
import { routesFor, type AppRole } from '../../../src/config/index.js';
import { ChainController, ChainService } from './chain.js';
import { WorkflowProviders } from './providers.js';
import { AnalysisStep, NotificationStep, PaymentStep, WorkflowController, WorkflowService } from './workflow.js';

/** Bench-only feature: POST /v1/bench/chain-orders (synchronous chain) and /v1/bench/orders (keel). */
@Module({})
export class BenchWorkflowModule {
  static forRole(role: AppRole): DynamicModule {
    return {
      module: BenchWorkflowModule,
      imports: [RouterModule.register([{ path: 'v1/bench', module: BenchWorkflowModule }])],
      controllers: routesFor(role, [ChainController, WorkflowController]),
      providers: [WorkflowProviders, ChainService, WorkflowService, PaymentStep, AnalysisStep, NotificationStep],
    };
  }
}
