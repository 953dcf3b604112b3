import { Module, type DynamicModule } from '@nestjs/common';
import { roleRuns, type AppRole } from '../../config/index.js';
import { BullBoard } from './bull-board.js';

/** Operator UIs served by the HTTP roles (the worker role serves only health and metrics). */
@Module({})
export class AdminUiModule {
  static forRole(role: AppRole): DynamicModule {
    return {
      module: AdminUiModule,
      providers: roleRuns(role).http ? [BullBoard] : [],
    };
  }
}
