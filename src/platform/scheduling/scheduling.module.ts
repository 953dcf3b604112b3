import { Module, type DynamicModule } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { MongooseModule } from '@nestjs/mongoose';
import { ScheduleModule } from '@nestjs/schedule';
import { routesFor, type AppRole } from '../../config/index.js';
import { CronLock } from './cron-lock.js';
import { CronRegistry } from './cron-registry.js';
import { CronRunner } from './cron-runner.js';
import { CronSignals } from './cron.signals.js';
import { CronsController } from './crons.controller.js';
import { RunLedger } from './run-ledger.js';
import { CRON_RUN_MODEL, CronRunSchema } from './run-ledger.schema.js';

/** Exclusive crons (docs/events.md): discovered in every role, scheduled only in worker roles. */
@Module({})
export class SchedulingModule {
  static forRole(role: AppRole): DynamicModule {
    return {
      module: SchedulingModule,
      global: true,
      imports: [
        DiscoveryModule,
        ScheduleModule.forRoot(),
        MongooseModule.forFeature([{ name: CRON_RUN_MODEL, schema: CronRunSchema }]),
      ],
      controllers: routesFor(role, [CronsController]),
      providers: [CronLock, RunLedger, CronRunner, CronSignals, CronRegistry],
      exports: [CronSignals, CronRunner, RunLedger, CronRegistry],
    };
  }
}
